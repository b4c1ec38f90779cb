// Package phones wires phone number formatting into the functions that take
// in phone numbers; its numbering plans are large, so no other function
// links them.
package phones

import (
	"context"

	"github.com/leadflow/leadflow/shared/lead/phone"
	"github.com/leadflow/leadflow/shared/wire"
)

// E164 formats captured and enriched phone numbers to E.164.
var E164 = wire.Option{Provides: wire.NeedPhones, Apply: func(_ context.Context, c *wire.Cloud) error {
	c.Service.Phones = phone.E164
	return nil
}}
