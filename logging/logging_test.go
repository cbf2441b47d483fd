package logging

import (
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

func TestTemporalLevels(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	for _, c := range []struct {
		name string
		l    *Temporal
		want []zapcore.Level // of Debug, Info, Warn, Error
	}{
		{"plain", NewTemporal(zap.New(core)), []zapcore.Level{zapcore.DebugLevel, zapcore.InfoLevel, zapcore.WarnLevel, zapcore.ErrorLevel}},
		{"quiet", NewTemporalQuiet(zap.New(core)), []zapcore.Level{zapcore.DebugLevel, zapcore.DebugLevel, zapcore.DebugLevel, zapcore.WarnLevel}},
	} {
		for _, l := range []*Temporal{c.l, c.l.With("k", "v").(*Temporal)} {
			logs.TakeAll()
			l.Debug("d")
			l.Info("i")
			l.Warn("w")
			l.Error("e", "key", 1)
			got := logs.TakeAll()
			if len(got) != 4 {
				t.Fatalf("%s: %d lines", c.name, len(got))
			}
			for i, e := range got {
				if e.Level != c.want[i] {
					t.Errorf("%s: %q logged at %s, want %s", c.name, e.Message, e.Level, c.want[i])
				}
			}
			if got[3].ContextMap()["key"] != int64(1) {
				t.Errorf("%s: fields %v", c.name, got[3].ContextMap())
			}
		}
	}
}
