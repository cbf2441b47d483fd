package documents

import (
	"archive/zip"
	"bytes"
	"io"
	"net/http"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Allowed MIME types: PDF, images, office documents (OOXML, OpenDocument, legacy binary
// formats) and plain text. HTML, SVG, scripts and archives are refused: they can carry active
// content that a browser would run when the file is opened.
const (
	MimePDF  = "application/pdf"
	MimeText = "text/plain"
	MimeCSV  = "text/csv"
	MimeDOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	MimeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	MimePPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
	MimeDOC  = "application/msword"
	MimeXLS  = "application/vnd.ms-excel"
	MimePPT  = "application/vnd.ms-powerpoint"
)

var imageTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true, "image/bmp": true}

var oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}

// Sniff returns the MIME type of content, judged from the bytes themselves (the client's
// Content-Type and the file's extension are not trusted, except to tell apart formats whose
// bytes look the same), and whether that type is allowed.
func Sniff(content []byte, fileName string) (mime string, allowed bool) {
	ext := strings.ToLower(path.Ext(fileName))
	detected := http.DetectContentType(content)
	base, _, _ := strings.Cut(detected, ";")
	switch {
	case base == MimePDF:
		return MimePDF, true
	case imageTypes[base]:
		return base, true
	case base == "application/zip":
		if m := officeZip(content); m != "" {
			return m, true
		}
		return base, false
	case bytes.HasPrefix(content, oleMagic):
		// Legacy Office files share one container format; the extension names the application.
		switch ext {
		case ".doc":
			return MimeDOC, true
		case ".xls":
			return MimeXLS, true
		case ".ppt":
			return MimePPT, true
		}
		return "application/x-ole-storage", false
	case base == "text/plain":
		if !utf8.Valid(content) || strings.ContainsFunc(string(content), isBinaryControl) {
			return "application/octet-stream", false
		}
		if ext == ".csv" {
			return MimeCSV, true
		}
		return MimeText, true
	}
	return base, false
}

// isMimeToken: lower-case letters, digits and . + - only (what OpenDocument types are made of).
func isMimeToken(m string) bool {
	return !strings.ContainsFunc(m, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '+' || r == '-' || r == '/')
	})
}

func isBinaryControl(r rune) bool {
	return r != '\n' && r != '\r' && r != '\t' && r != '\f' && unicode.IsControl(r)
}

// officeZip recognises OOXML and OpenDocument files among ZIP archives by their entries.
func officeZip(content []byte) string {
	zr, err := zip.NewReader(bytes.NewReader(content), int64(len(content)))
	if err != nil {
		return ""
	}
	hasContentTypes := false
	prefix := map[string]bool{}
	for _, f := range zr.File {
		switch {
		case f.Name == "[Content_Types].xml":
			hasContentTypes = true
		case f.Name == "mimetype":
			rc, err := f.Open()
			if err != nil {
				return ""
			}
			b, _ := io.ReadAll(io.LimitReader(rc, 100))
			_ = rc.Close()
			// The entry names the type; it is stored and sent as Content-Type, so only a plain
			// token is believed (a crafted one with NUL would reach the database).
			if m := string(b); strings.HasPrefix(m, "application/vnd.oasis.opendocument.") && isMimeToken(m) {
				return m
			}
		}
		if top, _, ok := strings.Cut(f.Name, "/"); ok {
			prefix[top] = true
		}
	}
	if !hasContentTypes {
		return ""
	}
	switch {
	case prefix["word"]:
		return MimeDOCX
	case prefix["xl"]:
		return MimeXLSX
	case prefix["ppt"]:
		return MimePPTX
	}
	return ""
}

// SanitizeName turns a client-supplied file name into a safe display name: the last path
// element only, no control or shell-special characters, no leading dot, at most 255 bytes with
// the extension kept. It is only ever shown, never used as a path.
func SanitizeName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	var b strings.Builder
	lastUnderscore := false
	for _, r := range name {
		switch {
		case unicode.IsLetter(r), unicode.IsDigit(r), strings.ContainsRune(".-()", r):
			b.WriteRune(r)
			lastUnderscore = false
		case !lastUnderscore:
			b.WriteByte('_')
			lastUnderscore = true
		}
	}
	out := strings.Trim(b.String(), "._ ")
	if out == "" {
		return "document"
	}
	if len(out) > 255 {
		ext := path.Ext(out)
		if len(ext) > 16 {
			ext = ""
		}
		stem := out[:255-len(ext)]
		for !utf8.ValidString(stem) { // do not cut a multi-byte letter in half
			stem = stem[:len(stem)-1]
		}
		out = stem + ext
	}
	return out
}
