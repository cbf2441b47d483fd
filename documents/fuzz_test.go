package documents

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// allowedMime is the allow-list Sniff may answer true with.
func allowedMime(m string) bool {
	switch m {
	case MimePDF, MimeText, MimeCSV, MimeDOCX, MimeXLSX, MimePPTX, MimeDOC, MimeXLS, MimePPT:
		return true
	}
	return imageTypes[m] || strings.HasPrefix(m, "application/vnd.oasis.opendocument.")
}

// FuzzSniff: whatever the bytes and the name, the file-type check answers without panicking; what
// it allows is on the allow-list, is a storable token (it is written to the database and sent as
// Content-Type: no NUL, no space, ASCII), and text it allows is valid UTF-8 without binary
// control characters.
func FuzzSniff(f *testing.F) {
	seeds := []struct {
		content []byte
		name    string
	}{
		{[]byte("%PDF-1.7\n%\xe2\xe3\n1 0 obj<<>>endobj\n%%EOF"), "rapport.pdf"},
		{[]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "photo.png"},
		{[]byte("\xff\xd8\xff\xe0\x00\x10JFIF"), "photo.jpg"},
		{[]byte("GIF89a\x01\x00\x01\x00"), "a.gif"},
		{[]byte("RIFF\x00\x00\x00\x00WEBPVP8 "), "a.webp"},
		{[]byte("BM\x00\x00"), "a.bmp"},
		{[]byte("date;equipement\n2026-01-02;PH-001\n"), "releve.csv"},
		{[]byte("Joint du vérin remplacé.\n"), "notes.txt"},
		{[]byte("texte\x00binaire"), "x.txt"},
		{[]byte("caf\xe9"), "x.txt"},
		{[]byte("<html><script>alert(1)</script></html>"), "x.pdf"},
		{[]byte("<svg xmlns='http://www.w3.org/2000/svg'/>"), "x.svg"},
		{[]byte("\x7fELF\x02\x01\x01"), "x.png"},
		{append(append([]byte{}, oleMagic...), 0, 0, 0), "ancien.doc"},
		{append(append([]byte{}, oleMagic...), 0, 0, 0), "ancien.exe"},
		{zipWith(f, map[string]string{"[Content_Types].xml": "<Types/>", "word/document.xml": "<w/>"}), "a.docx"},
		{zipWith(f, map[string]string{"[Content_Types].xml": "<Types/>", "xl/workbook.xml": "<x/>"}), "a.xlsx"},
		{zipWith(f, map[string]string{"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": "<o/>"}), "a.odt"},
		{zipWith(f, map[string]string{"mimetype": "application/vnd.oasis.opendocument.\x00\xff", "content.xml": "<o/>"}), "a.odt"},
		{zipWith(f, map[string]string{"payload.sh": "#!/bin/sh"}), "a.zip"},
		{nil, ""},
	}
	for _, s := range seeds {
		f.Add(s.content, s.name)
	}
	f.Fuzz(func(t *testing.T, content []byte, name string) {
		m, ok := Sniff(content, name)
		if !ok {
			return
		}
		if !allowedMime(m) {
			t.Fatalf("allowed %q", m)
		}
		if !utf8.ValidString(m) || strings.ContainsFunc(m, func(r rune) bool { return r <= ' ' || r >= 0x7f }) {
			t.Fatalf("allowed MIME type %q is not a token", m)
		}
		if (m == MimeText || m == MimeCSV) && (!utf8.Valid(content) || strings.ContainsFunc(string(content), isBinaryControl)) {
			t.Fatalf("allowed binary content as %s", m)
		}
	})
}

// FuzzSanitizeName: the display name of any client-supplied file name is storable text (valid
// UTF-8, no control character), one path element that is not hidden, at most 255 bytes, never
// empty.
func FuzzSanitizeName(f *testing.F) {
	for _, s := range []string{"rapport.pdf", "../../etc/passwd", `C:\Users\x\photo.JPG`, ".bashrc", "a\x00b.pdf", "caf\xe9.txt",
		"  ", "", "$(rm -rf /).pdf", strings.Repeat("é", 200) + ".pdf", strings.Repeat("a", 300) + "." + strings.Repeat("b", 20),
		"rapport\u202efdp.exe", "..", "a/b/", "\u00a0\u2028.pdf"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		out := SanitizeName(name)
		if out == "" || len(out) > 255 || !utf8.ValidString(out) || strings.ContainsAny(out, "/\\\x00") ||
			strings.HasPrefix(out, ".") || strings.ContainsFunc(out, func(r rune) bool { return r < ' ' || r == 0x7f || r == utf8.RuneError }) {
			t.Fatalf("SanitizeName(%q) = %q", name, out)
		}
	})
}
