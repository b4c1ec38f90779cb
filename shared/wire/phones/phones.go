// Package phones wires phone number formatting into the enrich function,
// where leads' phones are formatted; its numbering plans are large, so no
// other function links them.
package phones

import (
	"context"

	"github.com/leadflow/leadflow/shared/lead/phone"
	"github.com/leadflow/leadflow/shared/wire"
)

// E164 formats leads' phone numbers to E.164 at the enrich stage.
var E164 = wire.Option{Provides: wire.NeedPhones, Apply: func(_ context.Context, c *wire.Cloud) error {
	c.Service.Phones = phone.E164
	return nil
}}
