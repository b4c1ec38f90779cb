// Command plangen writes package phone's numbering-plan table (plans_gen.go)
// from the pinned github.com/nyaruka/phonenumbers metadata. It is run by
// go generate in shared/lead/phone.
package main

import (
	"fmt"
	"os"

	"github.com/leadflow/leadflow/shared/lead/phone/internal/plangen"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: plangen OUTPUT.go")
		os.Exit(2)
	}
	src, err := plangen.Source()
	if err == nil {
		err = os.WriteFile(os.Args[1], src, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "plangen:", err)
		os.Exit(1)
	}
}
