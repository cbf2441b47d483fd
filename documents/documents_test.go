package documents

import (
	"archive/zip"
	"bytes"
	"errors"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mifmaroc/mif/domain"
)

func newKey(t *testing.T) string {
	t.Helper()
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestVaultEncryptedRoundTripAndTamper(t *testing.T) {
	dir := t.TempDir()
	v, err := Open(dir, []string{newKey(t)})
	if err != nil {
		t.Fatal(err)
	}
	plain := []byte("%PDF-1.4 rapport confidentiel — pièces changées")
	b, err := v.Put(plain, true)
	if err != nil {
		t.Fatal(err)
	}
	if !b.Encrypted || b.KeyID == "" || b.Checksum != Checksum(plain) || b.Size != int64(len(plain)) {
		t.Fatalf("blob = %+v", b)
	}
	onDisk, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(b.Key)))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(onDisk, []byte("confidentiel")) {
		t.Fatal("plaintext found on disk")
	}
	got, err := v.Get(b.Key, true, b.Checksum)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("Get = %q, %v", got, err)
	}
	// Flip one character of the token: the HMAC no longer matches.
	tampered := bytes.Clone(onDisk)
	if tampered[40] == 'A' {
		tampered[40] = 'B'
	} else {
		tampered[40] = 'A'
	}
	if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(b.Key)), tampered, 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := v.Get(b.Key, true, b.Checksum); !errors.Is(err, ErrIntegrity) || got != nil {
		t.Fatalf("tampered Get = %q, %v; want ErrIntegrity and no bytes", got, err)
	}
}

func TestVaultPlainChecksumMismatch(t *testing.T) {
	dir := t.TempDir()
	v, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := v.Put([]byte("hello"), false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Put([]byte("x"), true); !errors.Is(err, ErrNoKeys) {
		t.Fatalf("encrypt without keys: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(b.Key)), []byte("hellO"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Get(b.Key, false, b.Checksum); !errors.Is(err, ErrIntegrity) {
		t.Fatalf("err = %v", err)
	}
	if _, err := v.Get("00/00000000000000000000000000000000", false, b.Checksum); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
	if _, err := v.Get("../../etc/passwd", false, ""); err == nil {
		t.Fatal("a key outside the store's alphabet must be refused")
	}
}

func TestKeyringRotation(t *testing.T) {
	dir := t.TempDir()
	oldKey, newK := newKey(t), newKey(t)
	v1, err := Open(dir, []string{oldKey})
	if err != nil {
		t.Fatal(err)
	}
	b, err := v1.Put([]byte("secret"), true)
	if err != nil {
		t.Fatal(err)
	}
	v2, err := Open(dir, []string{newK, oldKey})
	if err != nil {
		t.Fatal(err)
	}
	if v2.CurrentKeyID() == b.KeyID {
		t.Fatal("new key must have another ID")
	}
	// The old key still decrypts through the new keyring...
	if got, err := v2.Get(b.Key, true, b.Checksum); err != nil || string(got) != "secret" {
		t.Fatalf("Get with old key second: %q %v", got, err)
	}
	id, err := v2.Reencrypt(b.Key, b.Checksum)
	if err != nil || id != v2.CurrentKeyID() {
		t.Fatalf("Reencrypt = %q, %v", id, err)
	}
	// ...and after re-encryption the new key alone is enough.
	v3, err := Open(dir, []string{newK})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := v3.Get(b.Key, true, b.Checksum); err != nil || string(got) != "secret" {
		t.Fatalf("Get with new key only: %q %v", got, err)
	}
	if _, err := v1.Get(b.Key, true, b.Checksum); !errors.Is(err, ErrIntegrity) {
		t.Fatalf("old key alone must no longer open it: %v", err)
	}
}

func TestParseKeysRejectsBadKeys(t *testing.T) {
	for _, k := range []string{"short", strings.Repeat("A", 44) + "!", "MTIz"} {
		if _, err := ParseKeys([]string{k}); err == nil {
			t.Errorf("ParseKeys(%q) accepted", k)
		}
	}
	if _, err := ParseKeys(nil); !errors.Is(err, ErrNoKeys) {
		t.Errorf("no keys: %v", err)
	}
}

func TestDevKeysPersist(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sub", "fernet.key")
	a, err := DevKeys(p)
	if err != nil {
		t.Fatal(err)
	}
	b, err := DevKeys(p)
	if err != nil {
		t.Fatal(err)
	}
	if a[0] != b[0] {
		t.Fatal("dev key must be stable across starts")
	}
	if _, err := ParseKeys(a); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(p)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %v, %v", st.Mode(), err)
	}
}

func zipWith(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, content := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write([]byte(content))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestSniff(t *testing.T) {
	pngBytes := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	cases := []struct {
		name    string
		content []byte
		file    string
		mime    string
		allowed bool
	}{
		{"pdf", []byte("%PDF-1.7\n..."), "x.pdf", MimePDF, true},
		{"pdf named txt", []byte("%PDF-1.7\n..."), "x.txt", MimePDF, true},
		{"png", pngBytes, "photo.jpg", "image/png", true},
		{"jpeg", []byte("\xff\xd8\xff\xe0\x00\x10JFIF"), "a.jpeg", "image/jpeg", true},
		{"text", []byte("Relevé de pression: 12 bar\n"), "notes.txt", MimeText, true},
		{"csv", []byte("a;b\n1;2\n"), "mesures.csv", MimeCSV, true},
		{"docx", zipWith(t, map[string]string{"[Content_Types].xml": "<x/>", "word/document.xml": "<w/>"}), "a.docx", MimeDOCX, true},
		{"xlsx", zipWith(t, map[string]string{"[Content_Types].xml": "<x/>", "xl/workbook.xml": "<w/>"}), "a.xlsx", MimeXLSX, true},
		{"odt", zipWith(t, map[string]string{"mimetype": "application/vnd.oasis.opendocument.text"}), "a.odt", "application/vnd.oasis.opendocument.text", true},
		{"doc", append(bytes.Clone(oleMagic), make([]byte, 100)...), "a.doc", MimeDOC, true},
		{"ole unknown", append(bytes.Clone(oleMagic), make([]byte, 100)...), "a.msg", "application/x-ole-storage", false},
		{"plain zip", zipWith(t, map[string]string{"a.txt": "x"}), "a.zip", "application/zip", false},
		{"html", []byte("<!DOCTYPE html><script>alert(1)</script>"), "a.pdf", "text/html", false},
		{"svg", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>`), "a.svg", "text/xml", false},
		{"elf", []byte("\x7fELF\x02\x01\x01\x00\x00\x00"), "a.pdf", "application/octet-stream", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mime, ok := Sniff(c.content, c.file)
			if mime != c.mime || ok != c.allowed {
				t.Fatalf("Sniff = %q, %v; want %q, %v", mime, ok, c.mime, c.allowed)
			}
		})
	}
}

func TestSanitizeName(t *testing.T) {
	cases := map[string]string{
		"rapport.pdf":                   "rapport.pdf",
		"../../etc/passwd":              "passwd",
		`C:\Users\x\Bon de travail.pdf`: "Bon_de_travail.pdf",
		".htaccess":                     "htaccess",
		"a\x00b\nc.txt":                 "a_b_c.txt",
		"Relevé été (v2).xlsx":          "Relevé_été_(v2).xlsx",
		"":                              "document",
		"///":                           "document",
		"<script>.pdf":                  "script_.pdf",
	}
	for in, want := range cases {
		if got := SanitizeName(in); got != want {
			t.Errorf("SanitizeName(%q) = %q, want %q", in, got, want)
		}
	}
	long := SanitizeName(strings.Repeat("é", 300) + ".pdf")
	if len(long) > 255 || !strings.HasSuffix(long, ".pdf") {
		t.Errorf("long name = %d bytes, %q…", len(long), long[len(long)-8:])
	}
}

// TestRenderReportPages renders the PDF with poppler's pdftoppm and checks that every page
// becomes a real PNG image: a malformed PDF fails to render.
func TestRenderReportPages(t *testing.T) {
	bin, err := exec.LookPath("pdftoppm")
	if err != nil {
		t.Fatal("pdftoppm is required (Debian: apt-get install -y poppler-utils): ", err)
	}
	start := time.Date(2026, 11, 20, 8, 30, 0, 0, time.UTC)
	end := start.Add(150 * time.Minute)
	minutes := 150
	d := ReportData{
		InterventionID: 42, Titre: "Réparation fuite hydraulique", Description: "Fuite sur le vérin principal",
		Type: "corrective", Priorite: "haute", Statut: "terminee", DateCreation: start.Add(-time.Hour),
		DateDebut: &start, DateFin: &end, TempsPasse: &minutes,
		Rapport:    strings.Repeat("Joint remplacé, pression contrôlée à 180 bar. ", 120),
		Equipement: "Presse hydraulique PH-001", EquipementType: "presse", Localisation: "Atelier A",
		Client: "Cimenterie Atlas", Technicien: "Youssef Alami", GeneratedAt: end,
	}
	for i := range 60 {
		d.Timeline = append(d.Timeline, TimelineEntry{Date: start.Add(time.Duration(i) * time.Minute), Action: "modification", Acteur: "Youssef Alami", Detail: "statut: en_cours"})
	}
	pdf, err := RenderReport(d)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", pdf[:10])
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "r.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-png", "-r", "40", in, filepath.Join(dir, "page")).CombinedOutput()
	if err != nil {
		t.Fatalf("pdftoppm: %v: %s", err, out)
	}
	pages, _ := filepath.Glob(filepath.Join(dir, "page-*.png"))
	if len(pages) < 2 {
		t.Fatalf("want a multi-page report (long text and timeline), got %d page(s)", len(pages))
	}
	for _, p := range pages {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		_ = f.Close()
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		// A4 at 40 dpi is about 331×468 pixels.
		if b := img.Bounds(); b.Dx() < 300 || b.Dy() < 440 {
			t.Fatalf("%s: unexpected size %v", p, b)
		}
		if !hasInk(img) {
			t.Fatalf("%s: blank page", p)
		}
	}
	// pdftotext is part of the same package: the French text must come out intact.
	txt, err := exec.Command("pdftotext", in, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	for _, want := range []string{"Rapport d'intervention", "Réparation fuite hydraulique", "Cimenterie Atlas", "Signatures", "Le client"} {
		if !strings.Contains(string(txt), want) {
			t.Errorf("report text lacks %q", want)
		}
	}
}

// hasInk reports whether some pixels are dark (text was drawn).
func hasInk(img image.Image) bool {
	dark := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r+g+bl < 3*0x8000 {
				dark++
			}
		}
	}
	return dark > 500
}
