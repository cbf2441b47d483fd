package documents

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func benchVault(b *testing.B) *Vault {
	b.Helper()
	k, err := GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	v, err := Open(b.TempDir(), []string{k})
	if err != nil {
		b.Fatal(err)
	}
	return v
}

// BenchmarkVaultPutEncrypted1MiB: checksum + Fernet encryption + atomic write (fsync) of 1 MiB.
func BenchmarkVaultPutEncrypted1MiB(b *testing.B) {
	v := benchVault(b)
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<16)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := v.Put(data, true); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVaultGetEncrypted1MiB: read + Fernet decryption + checksum check of 1 MiB.
func BenchmarkVaultGetEncrypted1MiB(b *testing.B) {
	v := benchVault(b)
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<16)
	blob, err := v.Put(data, true)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := v.Get(blob.Key, true, blob.Checksum); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRenderReport(b *testing.B) {
	d := ReportData{InterventionID: 1, Titre: "Réparation", Rapport: strings.Repeat("Texte du rapport. ", 200), GeneratedAt: time.Now()}
	for i := range 40 {
		d.Timeline = append(d.Timeline, TimelineEntry{Date: time.Now().Add(time.Duration(i) * time.Minute), Action: "modification"})
	}
	for b.Loop() {
		if _, err := RenderReport(d); err != nil {
			b.Fatal(err)
		}
	}
}
