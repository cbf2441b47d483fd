package workflows

import (
	"testing"
	"time"

	"github.com/mifmaroc/mif/activities"
	"github.com/mifmaroc/mif/domain"
)

func TestSLAClock(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	deadline := t0.Add(4 * time.Hour)
	at := func(d time.Duration) time.Time { return t0.Add(d) }

	c := newSLAClock(&deadline, domain.StatutOuverte, t0)
	if !c.ticking() || c.left(at(time.Hour)) != 3*time.Hour {
		t.Fatalf("new clock: ticking=%v left=%v", c.ticking(), c.left(at(time.Hour)))
	}
	// Moves that do not touch en_attente leave the clock alone.
	c.move(domain.StatutOuverte, domain.StatutPlanifiee, at(time.Minute))
	c.move(domain.StatutPlanifiee, domain.StatutEnCours, at(2*time.Minute))
	if !c.ticking() || !c.deadline.Equal(deadline) {
		t.Fatalf("after start: %+v", c)
	}
	// Paused one hour in: three hours left, whatever time passes meanwhile.
	c.move(domain.StatutEnCours, domain.StatutEnAttente, at(time.Hour))
	if c.ticking() || !c.paused || c.remaining != 3*time.Hour {
		t.Fatalf("paused: %+v", c)
	}
	st := c.state(activities.SLASourcePriorite, false, at(10*time.Hour))
	if !st.EnPause || st.Echeance != nil || st.RestantSecondes == nil || *st.RestantSecondes != int64(3*time.Hour/time.Second) || st.Source != activities.SLASourcePriorite {
		t.Fatalf("paused state: %+v", st)
	}
	// Asked to stop again while stopped, it keeps the time left.
	c.move(domain.StatutEnCours, domain.StatutEnAttente, at(11*time.Hour))
	if c.remaining != 3*time.Hour {
		t.Fatalf("paused twice: %+v", c)
	}
	// Resumed at 11 h: the new deadline is 14 h.
	c.move(domain.StatutEnAttente, domain.StatutEnCours, at(11*time.Hour))
	if !c.ticking() || !c.deadline.Equal(at(14*time.Hour)) || c.left(at(13*time.Hour)) != time.Hour {
		t.Fatalf("resumed: %+v", c)
	}
	st = c.state("contrat", false, at(13*time.Hour))
	if st.EnPause || st.Echeance == nil || !st.Echeance.Equal(at(14*time.Hour)) || *st.RestantSecondes != 3600 {
		t.Fatalf("running state: %+v", st)
	}
	// Past the deadline the time left is negative (the workflow marks the work late).
	if c.left(at(15*time.Hour)) != -time.Hour {
		t.Fatalf("late: %v", c.left(at(15*time.Hour)))
	}
	// Finished work shows its deadline, nothing left to count.
	st = c.state("contrat", true, at(15*time.Hour))
	if st.Echeance == nil || st.RestantSecondes != nil {
		t.Fatalf("final state: %+v", st)
	}
}

func TestSLAClockCompletedWhilePaused(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	deadline := t0.Add(4 * time.Hour)
	c := newSLAClock(&deadline, domain.StatutEnCours, t0)
	c.move(domain.StatutEnCours, domain.StatutEnAttente, t0.Add(time.Hour))
	c.move(domain.StatutEnAttente, domain.StatutTerminee, t0.Add(30*time.Hour))
	// Leaving en_attente restarts the clock from the time left, even towards a final status.
	if c.paused || !c.deadline.Equal(t0.Add(33*time.Hour)) {
		t.Fatalf("%+v", c)
	}
}

func TestSLAClockStartsPausedOnAWaitingRow(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	deadline := t0.Add(2 * time.Hour)
	c := newSLAClock(&deadline, domain.StatutEnAttente, t0)
	if c.ticking() || c.remaining != 2*time.Hour {
		t.Fatalf("%+v", c)
	}
}

func TestSLAClockWithoutDeadline(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	c := newSLAClock(nil, domain.StatutEnAttente, t0)
	c.move(domain.StatutEnCours, domain.StatutEnAttente, t0)
	c.move(domain.StatutEnAttente, domain.StatutEnCours, t0.Add(time.Hour))
	if c.ticking() || c.paused {
		t.Fatalf("%+v", c)
	}
	st := c.state("", false, t0)
	if st.Echeance != nil || st.RestantSecondes != nil || st.EnPause {
		t.Fatalf("%+v", st)
	}
}
