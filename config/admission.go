package config

import "time"

// Admission bounds the work the API takes on at once, per class of request (reads: GET and
// HEAD; writes: everything else), so that past capacity requests wait a bounded time and are
// then refused with 503 and Retry-After, instead of queueing without end.
type Admission struct {
	// Reads and Writes are the requests of each class served at once (MIF_ADMISSION_READS,
	// MIF_ADMISSION_WRITES; 0 turns the limit of that class off).
	Reads, Writes int
	// Queue is how many requests of a class may wait for a slot at once; one more is refused at
	// once (MIF_ADMISSION_QUEUE).
	Queue int
	// Wait is how long a write waits for a slot before it is refused (MIF_ADMISSION_WAIT).
	Wait time.Duration
	// ReadWait is the same for a read (MIF_ADMISSION_READ_WAIT; 0: Wait). Shorter than a
	// write's: past capacity a read is better answered at once than late, and refusing it
	// quickly keeps the reads that are served fast.
	ReadWait time.Duration
	// ReadTimeout bounds an admitted read, the wait for a database connection included: past it
	// the read is abandoned and answered 503 (MIF_ADMISSION_READ_TIMEOUT; 0: no bound).
	ReadTimeout time.Duration
	// RetryAfter is the Retry-After of the refusals, in whole seconds (MIF_ADMISSION_RETRY_AFTER).
	RetryAfter time.Duration
}

// ReadCache keeps the answers of the busiest reads (lists, dashboard) for at most TTL, dropped at
// every write (package readcache).
type ReadCache struct {
	// TTL is the longest an answer is served again (MIF_READ_CACHE_TTL; 0 turns the cache off).
	TTL time.Duration
	// MaxBytes bounds the answers kept at once (MIF_READ_CACHE_BYTES).
	MaxBytes int
}

func (r *reader) readCache() ReadCache {
	c := ReadCache{
		TTL:      r.duration("MIF_READ_CACHE_TTL", time.Second),
		MaxBytes: r.intRange("MIF_READ_CACHE_BYTES", 16<<20, 64<<10, 1<<30),
	}
	if c.TTL < 0 || c.TTL > time.Minute {
		r.fail("MIF_READ_CACHE_TTL", "must be between 0 (off) and 1m")
	}
	return c
}

func (r *reader) admission() Admission {
	a := Admission{
		Reads:       r.intRange("MIF_ADMISSION_READS", 64, 0, 100000),
		Writes:      r.intRange("MIF_ADMISSION_WRITES", 8, 0, 100000),
		Queue:       r.intRange("MIF_ADMISSION_QUEUE", 256, 0, 1000000),
		Wait:        r.duration("MIF_ADMISSION_WAIT", 500*time.Millisecond),
		ReadWait:    r.duration("MIF_ADMISSION_READ_WAIT", 250*time.Millisecond),
		ReadTimeout: r.duration("MIF_ADMISSION_READ_TIMEOUT", 10*time.Second),
		RetryAfter:  r.duration("MIF_ADMISSION_RETRY_AFTER", time.Second),
	}
	if a.RetryAfter < time.Second {
		r.fail("MIF_ADMISSION_RETRY_AFTER", "must be at least 1s (Retry-After counts whole seconds)")
	}
	if a.Wait < 0 {
		r.fail("MIF_ADMISSION_WAIT", "must not be negative")
	}
	if a.ReadWait < 0 {
		r.fail("MIF_ADMISSION_READ_WAIT", "must not be negative")
	}
	if a.ReadTimeout < 0 {
		r.fail("MIF_ADMISSION_READ_TIMEOUT", "must not be negative")
	}
	return a
}
