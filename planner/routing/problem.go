package routing

// FormatProblem is the version tag a problem file carries in its "format" field.
const FormatProblem = "mif-routing-problem/0"

// Objective names, in the order a problem lists them (lexicographic).
const (
	ObjVehicles            = "vehicles"
	ObjDistance            = "distance"
	ObjDuration            = "duration"
	ObjDistanceOutsourcing = "distance+outsourcing"
	// ObjTravelTime (an extension of the format) is the total driving time, which differs from
	// distance once travel comes from a road network's matrix.
	ObjTravelTime = "travel_time"
	// ObjBalance (an extension of the format) is the spread of the technicians' load: the
	// standard deviation, over the technicians who have shifts, of their utilisation (summed
	// route durations over summed shift lengths). Listed last, it chooses among plans that are
	// equal on everything before it.
	ObjBalance = "balance"
)

// objectives lists every objective name, in the order error messages give them.
var objectives = []string{ObjVehicles, ObjDistance, ObjDuration, ObjDistanceOutsourcing, ObjTravelTime, ObjBalance}

// Travel metrics.
const (
	MetricEuclidean = "euclidean"
	MetricHaversine = "haversine"
	MetricMatrix    = "matrix"
)

// Problem is a routing problem in the mif-routing-problem/0 format (FORMAT.md). Times are in one
// unit (TimeUnit, usually minutes) counted from t = 0.
type Problem struct {
	Format      string       `json:"format"`
	Name        string       `json:"name,omitempty"`
	TimeUnit    string       `json:"time_unit,omitempty"`
	Travel      Travel       `json:"travel"`
	Sites       []Site       `json:"sites"`
	Depots      []Depot      `json:"depots"`
	Technicians []Technician `json:"technicians"`
	Tasks       []Task       `json:"tasks"`
	// FleetLimit caps the number of routes used (nil: one per technician shift).
	FleetLimit *int `json:"fleet_limit"`
	// Objective is a lexicographic list of ObjVehicles, ObjDistance, ObjDuration,
	// ObjDistanceOutsourcing, and the extensions ObjTravelTime and ObjBalance. Leaving as little
	// work undone as possible (weighted by priority) always comes before it.
	Objective []string `json:"objective"`
}

// Travel says how distances and travel times are obtained. Travel time = distance / Speed for
// the euclidean metric (site X/Y) and the haversine one (site Lat/Lon, kilometres times Detour,
// Speed in km per time unit); the matrix metric gives both explicitly for the listed Sites, which
// is how a road network (an OSRM table, say) is plugged in.
type Travel struct {
	Metric   string      `json:"metric"`
	Speed    float64     `json:"speed,omitempty"`
	Detour   float64     `json:"detour,omitempty"`
	Sites    []string    `json:"sites,omitempty"`
	Distance [][]float64 `json:"distance,omitempty"`
	Time     [][]float64 `json:"time,omitempty"`
}

// Site is a place. X/Y serve the euclidean metric, Lat/Lon the haversine one (nil: absent).
type Site struct {
	ID   string   `json:"id"`
	Name string   `json:"name,omitempty"`
	X    *float64 `json:"x,omitempty"`
	Y    *float64 `json:"y,omitempty"`
	Lat  *float64 `json:"lat,omitempty"`
	Lon  *float64 `json:"lon,omitempty"`
}

// SiteXY is a site of the euclidean plane.
func SiteXY(id string, x, y float64) Site { return Site{ID: id, X: &x, Y: &y} }

// SiteLatLon is a site on the globe (degrees).
func SiteLatLon(id string, lat, lon float64) Site { return Site{ID: id, Lat: &lat, Lon: &lon} }

// Depot is where a technician may stop to restock: a visit to a depot with Restock refills every
// spare part to the technician's initial stock. Duration (an extension, default 0) is the time
// a restocking stop takes.
type Depot struct {
	ID       string  `json:"id"`
	Site     string  `json:"site"`
	Open     float64 `json:"open"`
	Close    float64 `json:"close"`
	Restock  bool    `json:"restock"`
	Duration float64 `json:"duration,omitempty"`
}

// Technician is a crew member with a van. Each shift is one route: leave StartSite no earlier
// than the shift's start, be back at EndSite no later than its end. Stock is what the van holds
// at the start of every shift (overnight refill); Capacity limits the summed demand of one
// route (nil: no limit).
type Technician struct {
	ID        string         `json:"id"`
	Name      string         `json:"name,omitempty"`
	StartSite string         `json:"start_site"`
	EndSite   string         `json:"end_site"`
	Shifts    []Shift        `json:"shifts"`
	Skills    map[string]int `json:"skills"`
	Tools     []string       `json:"tools"`
	Stock     map[string]int `json:"stock"`
	Capacity  *float64       `json:"capacity"`
}

// Shift is a working period.
type Shift struct {
	Start float64 `json:"start"`
	End   float64 `json:"end"`
}

// Window bounds the start of service.
type Window struct {
	Start float64 `json:"start"`
	End   float64 `json:"end"`
}

// Task is work at a site. Service lasts Duration and starts inside one of Windows (none: any
// time of a shift). It needs every skill at a level at least the one given, every tool, and its
// parts in the van's stock (consumed). Priority: higher is served first when not everything fits.
// OutsourcingCost nil means the task must be served; a number means it may stay unassigned at
// that cost.
type Task struct {
	ID              string         `json:"id"`
	Name            string         `json:"name,omitempty"`
	Site            string         `json:"site"`
	Duration        float64        `json:"duration"`
	Windows         []Window       `json:"windows"`
	Skills          map[string]int `json:"skills"`
	Tools           []string       `json:"tools"`
	Parts           map[string]int `json:"parts"`
	Demand          float64        `json:"demand"`
	Priority        int            `json:"priority"`
	OutsourcingCost *float64       `json:"outsourcing_cost"`
	// Pinned (an extension of the format) fixes the task to one technician's shift, and with
	// Start to one start of service: work already started, or fixed by a responsable.
	Pinned *Pin `json:"pinned,omitempty"`
}

// Pin fixes a task to a route (and optionally to a start time).
type Pin struct {
	Technician string   `json:"technician"`
	Shift      int      `json:"shift"`
	Start      *float64 `json:"start,omitempty"`
}

// Solution is the answer, in the solution format of FORMAT.md, with a few extra fields (per-route
// figures, vehicles, outsourcing, travel time, balance when the objective lists it, and the
// search's seed and iteration count, which reproduce it).
type Solution struct {
	Routes      []Route      `json:"routes"`
	Unassigned  []Unassigned `json:"unassigned"`
	Distance    float64      `json:"distance"`
	Duration    float64      `json:"duration"`
	TravelTime  float64      `json:"travel_time,omitempty"`
	Balance     *float64     `json:"balance,omitempty"`
	Vehicles    int          `json:"vehicles"`
	Outsourcing float64      `json:"outsourcing"`
	Iterations  int          `json:"iterations"`
	Seed        uint64       `json:"seed"`
}

// Route is one technician's shift: stops are task ids (a depot id is a restocking visit) in
// visiting order, StartTimes their service starts.
type Route struct {
	Technician string    `json:"technician"`
	Shift      int       `json:"shift"`
	Stops      []string  `json:"stops"`
	StartTimes []float64 `json:"start_times"`
	Departure  float64   `json:"departure"`
	Return     float64   `json:"return"`
	Distance   float64   `json:"distance"`
	Duration   float64   `json:"duration"`
	TravelTime float64   `json:"travel_time,omitempty"`
}

// Unassigned is a task left undone, and why.
type Unassigned struct {
	Task   string `json:"task"`
	Reason string `json:"reason"`
}
