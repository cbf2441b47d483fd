// Package logging builds the zap logger and adapts it to the Temporal SDK's logger interface.
package logging

import (
	"fmt"

	"go.temporal.io/sdk/log"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// New builds a logger: JSON for machines, console for people; level debug, info, warn or error.
func New(level, format string) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, fmt.Errorf("logging: %w", err)
	}
	var cfg zap.Config
	if format == "console" {
		cfg = zap.NewDevelopmentConfig()
		cfg.EncoderConfig.EncodeLevel = zapcore.CapitalColorLevelEncoder
		cfg.DisableStacktrace = true
	} else {
		cfg = zap.NewProductionConfig()
		cfg.EncoderConfig.TimeKey = "ts"
		cfg.EncoderConfig.EncodeTime = zapcore.ISO8601TimeEncoder
	}
	// Stack traces go nowhere near logs that ops ship around; errors carry their own context.
	cfg.DisableStacktrace = true
	cfg.Level = zap.NewAtomicLevelAt(lvl)
	return cfg.Build()
}

// Temporal adapts zap to go.temporal.io/sdk/log.Logger (and its WithLogger extension).
type Temporal struct {
	z     *zap.SugaredLogger
	quiet bool
}

// NewTemporal wraps l for the Temporal client and worker.
func NewTemporal(l *zap.Logger) *Temporal {
	return &Temporal{z: l.WithOptions(zap.AddCallerSkip(1)).Sugar()}
}

// NewTemporalQuiet wraps l for a client whose chatter is expected: one that polls a server still
// starting (devenv). Its Info and Warn lines are logged at Debug, its Error lines at Warn.
func NewTemporalQuiet(l *zap.Logger) *Temporal {
	t := NewTemporal(l)
	t.quiet = true
	return t
}

func (t *Temporal) Debug(msg string, keyvals ...any) { t.z.Debugw(msg, keyvals...) }

func (t *Temporal) Info(msg string, keyvals ...any) {
	if t.quiet {
		t.z.Debugw(msg, keyvals...)
		return
	}
	t.z.Infow(msg, keyvals...)
}

func (t *Temporal) Warn(msg string, keyvals ...any) {
	if t.quiet {
		t.z.Debugw(msg, keyvals...)
		return
	}
	t.z.Warnw(msg, keyvals...)
}

func (t *Temporal) Error(msg string, keyvals ...any) {
	if t.quiet {
		t.z.Warnw(msg, keyvals...)
		return
	}
	t.z.Errorw(msg, keyvals...)
}

// With returns a logger that adds keyvals to every line (log.WithLogger).
func (t *Temporal) With(keyvals ...any) log.Logger {
	return &Temporal{z: t.z.With(keyvals...), quiet: t.quiet}
}
