package workflows

import (
	"time"

	"github.com/mifmaroc/mif/domain"
)

// SLAState is the SLA clock as the state query shows it.
type SLAState struct {
	Echeance        *time.Time `json:"echeance"`
	Source          string     `json:"source"`
	EnPause         bool       `json:"en_pause"`
	RestantSecondes *int64     `json:"restant_secondes"`
}

// slaClock is an intervention's SLA clock: a deadline that stops while the work waits
// (en_attente) and, on resumption, runs again for the time that was left. It is pure — the time
// comes in as an argument — so that the workflow's timer and its tests read the same rules.
type slaClock struct {
	deadline  *time.Time    // running deadline (nil: no SLA)
	remaining time.Duration // time left when the clock was stopped
	paused    bool
}

// newSLAClock starts the clock on deadline; a run over a row already waiting (a re-run of the
// workflow) starts it stopped.
func newSLAClock(deadline *time.Time, statut domain.StatutIntervention, now time.Time) slaClock {
	c := slaClock{deadline: deadline}
	if statut == domain.StatutEnAttente && deadline != nil {
		c.paused, c.remaining = true, deadline.Sub(now)
	}
	return c
}

// move follows a transition: the clock stops when the work starts waiting and runs again when it
// leaves en_attente.
func (c *slaClock) move(from, to domain.StatutIntervention, now time.Time) {
	switch {
	case to == domain.StatutEnAttente && c.deadline != nil && !c.paused:
		c.paused, c.remaining = true, c.deadline.Sub(now)
	case from == domain.StatutEnAttente && c.paused:
		d := now.Add(c.remaining)
		c.deadline, c.paused = &d, false
	}
}

// ticking reports whether the deadline runs (there is one and the clock is not stopped).
func (c slaClock) ticking() bool { return c.deadline != nil && !c.paused }

// left is the time until the running deadline (ticking only).
func (c slaClock) left(now time.Time) time.Duration { return c.deadline.Sub(now) }

// state is the clock as the query shows it; final: the intervention has ended. The SLA timer is
// pending when running (the caller knows whether lateness was already recorded).
func (c slaClock) state(source string, final bool, now time.Time) SLAState {
	st := SLAState{Source: source, EnPause: c.paused}
	switch {
	case c.paused:
		left := int64(c.remaining / time.Second)
		st.RestantSecondes = &left
	case c.deadline != nil && !final:
		d := *c.deadline
		left := int64(d.Sub(now) / time.Second)
		st.Echeance, st.RestantSecondes = &d, &left
	case c.deadline != nil:
		d := *c.deadline
		st.Echeance = &d
	}
	return st
}
