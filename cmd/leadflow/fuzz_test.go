package main

import (
	"bytes"
	"testing"
)

// FuzzReadRows feeds arbitrary CSV files to the import reader: it must never
// panic, and every row it returns holds only named, non-empty fields.
func FuzzReadRows(f *testing.F) {
	f.Add([]byte("Email Address,First Name,Job Title\nann@example.com,Ann,VP Sales\n"))
	f.Add([]byte("\ufeffemail,company\r\nbob@example.com,\"Acme, Inc.\"\r\n"))
	f.Add([]byte("email\n\"unterminated\n"))
	f.Add([]byte("email,,email\na@b.co,x,c@d.co\n"))
	f.Add([]byte("a,b\n1,2,3,4\n\n5\n"))
	f.Add([]byte(""))
	f.Add([]byte("email\n=HYPERLINK(\"http://x\")\n"))
	f.Add([]byte("\"e\"mail\"\n"))
	f.Add([]byte("email\x00,name\n\xff\xfe,\x00\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := readRows(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, r := range rows {
			if r.line < 1 {
				t.Errorf("row with line %d", r.line)
			}
			for k, v := range r.fields {
				if k == "" || v == "" {
					t.Errorf("row %d has an empty name or value: %q=%q", r.line, k, v)
				}
			}
		}
	})
}
