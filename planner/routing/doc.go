// Package routing plans technicians' routes: which technician serves which task, in which
// order and when, for one route per technician shift (a week is five shifts). It reads and writes
// the mif-routing-problem/0 format (../shared/benchmarks/planner/FORMAT.md) and is pure: no I/O,
// no clock, one random source seeded by the caller. The weekly planning builds a Problem from the
// database and calls Solve; `mif planning solve` does the same from a file.
//
// # Model
//
// Travel is euclidean (x/y), haversine (lat/lon, kilometres times a detour factor, divided by an
// average speed) or an explicit matrix of distances and times — the way a road network (an OSRM
// table) is plugged in; see TravelModel and MatrixTravel. A technician has shifts, skills with
// levels, tools, a stock of spare parts (full at the start of every shift) and a capacity. A task
// has a site, a duration, time windows bounding the START of service (several allowed; arriving
// early waits), skills (every one at the level given), tools, parts (consumed from the van; a
// visit to a depot with restock refills the van, and the solver inserts such visits when a route
// runs short), a demand, a priority and an outsourcing cost (null: must be served).
//
// Extensions of the format, all optional: a task's "pinned": {"technician", "shift", "start"}
// fixes it to a technician's shift (work fixed by a responsable) and with "start" to a start of
// service (work already started); a depot's "duration" is the time a restocking stop takes; sites,
// technicians and tasks may carry a "name"; the objectives "travel_time" and "balance". A
// solution also carries per-route departure, return, distance, duration and travel time, and the
// run's travel time, balance (when the objective lists it), vehicles, outsourcing, seed and
// iterations.
//
// The objective is lexicographic. First comes work left undone: mandatory tasks by priority tier
// (highest first), then optional ones by tier — unless "distance+outsourcing" is listed, which
// prices optional tasks at their outsourcing cost instead. Then the problem's list, among
// "vehicles" (routes used), "distance", "duration" (per route, return minus departure, the
// departure delayed as far as it removes waiting), "distance+outsourcing", "travel_time" (total
// driving time, which differs from distance once a road network gives the matrix) and "balance"
// (the spread of the load: standard deviation, over the technicians who have shifts, of their
// utilisation — summed route durations over summed shift lengths). The weekly planning uses
// ["travel_time", "duration", "balance"]: the order, undone work by priority, then
// driving, then time away (which adds waiting), then an even load among plans equal on all
// that. Every task left undone is reported with a reason ("no technician has the skill
// hydraulique at level 2", "no feasible time window: …", "fleet limit reached: …", "no room: …").
//
// # Algorithm
//
// A first solution comes from regret insertion (the task whose best place is furthest ahead of
// its second best route goes first, higher priority tiers first). It is then improved by SISR —
// slack induction by string removals (Christiaens & Vanden Berghe, Transportation Science 2020):
// each iteration removes a few strings of consecutive stops from routes near a random task, and
// reinserts the removed and unassigned tasks one at a time at their cheapest feasible place, in
// one of several orders, skipping places at random ("blinks"). Candidates are accepted by
// simulated annealing on the continuous part of the objective; undone work and, when it leads,
// the number of vehicles are compared strictly. When vehicles lead, SISR's fleet minimisation
// (a route emptied, absence counters steering ruin and recreate towards the tasks hardest to
// place) runs before each annealing cycle.
//
// Feasibility of an insertion costs O(1) per place: each route keeps, per stop, its earliest
// start and departure (forward) and the latest arrival that keeps the rest of the route feasible
// (backward), generalised to several windows per task; stock is kept per restocking segment.
//
// # Determinism and budget
//
// The search is a sequence of annealing cycles, each restarting from the best solution and
// twice as long as the previous one (the first lasts 200 + 20 × tasks iterations); it stops by
// itself after four cycles without improvement. Nothing depends on the budget, so a run stopped
// after k iterations — by Options.Iterations or by the context's deadline, checked only between
// iterations — returns exactly what a run with Iterations = k returns, and the solution reports
// k. Same problem, seed and iterations: same bytes (on one CPU architecture: the compiler may
// fuse floating-point multiply-adds on some, which changes the last bits and then the path).
//
// # Urgent work
//
// InsertUrgent adds a task to a solution at a given time: what is started or under way stays,
// today's routes change as little as the objective allows, and at most one task of lower priority
// is displaced (to another route if one has room).
//
// # Checking
//
// Check re-simulates a solution from the problem alone (its own travel computation, none of the
// solver's bookkeeping) and lists every broken constraint and every reported figure (distance,
// duration, travel time, balance) that does not match; the tests run it on every solution the
// solver writes.
package routing
