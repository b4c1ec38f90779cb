package console

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/leadflow/leadflow/events"
	"github.com/leadflow/leadflow/shared/config"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/localbus"
	"github.com/leadflow/leadflow/shared/routing"
	"github.com/leadflow/leadflow/shared/scoring"
)

// dlqData is the dead letters page.
type dlqData struct {
	Available bool
	Letters   []localbus.DeadLetter
	Consumers []events.Consumer
}

func consumers() []events.Consumer {
	out := make([]events.Consumer, len(events.Routes))
	for i, r := range events.Routes {
		out[i] = r.Consumer
	}
	return out
}

func (c *Console) dlqPage(w http.ResponseWriter, r *http.Request, s *session) {
	d := &dlqData{Available: c.opts.DLQ != nil, Consumers: consumers()}
	if d.Available {
		var err error
		if d.Letters, err = c.opts.DLQ.DeadLetters(""); err != nil {
			c.storeFailed(w, r, s, err)
			return
		}
	}
	c.render(w, r, http.StatusOK, "dlq", s, &view{Title: "Dead letters", Nav: "dlq", Data: d})
}

func (c *Console) deadLetterPage(w http.ResponseWriter, r *http.Request, s *session) {
	consumer := events.Consumer(r.PathValue("consumer"))
	if c.opts.DLQ == nil || !slices.Contains(consumers(), consumer) {
		c.fail(w, r, s, http.StatusNotFound, "No such dead letter.")
		return
	}
	letters, err := c.opts.DLQ.DeadLetters(consumer)
	if err != nil {
		c.storeFailed(w, r, s, err)
		return
	}
	i := slices.IndexFunc(letters, func(d localbus.DeadLetter) bool { return d.MessageID == r.PathValue("id") })
	if i < 0 {
		c.fail(w, r, s, http.StatusNotFound, "No such dead letter: it may have been redriven already.")
		return
	}
	c.render(w, r, http.StatusOK, "deadletter", s, &view{Title: "Dead letter " + letters[i].MessageID, Nav: "dlq", Data: letters[i]})
}

// redrive moves the checked dead letters of one consumer (or all of them
// with consumer "") back to their queues.
func (c *Console) redrive(w http.ResponseWriter, r *http.Request, s *session) {
	if c.opts.DLQ == nil {
		c.fail(w, r, s, http.StatusNotFound, "This runtime has no dead-letter list here.")
		return
	}
	// Checked boxes are "consumer/message id".
	byConsumer := map[events.Consumer][]string{}
	known := consumers()
	if err := r.ParseForm(); err != nil {
		c.fail(w, r, s, http.StatusBadRequest, "The form could not be read.")
		return
	}
	for _, v := range r.PostForm["m"] {
		for _, cons := range known {
			if id, ok := strings.CutPrefix(v, string(cons)+"/"); ok && id != "" {
				byConsumer[cons] = append(byConsumer[cons], id)
			}
		}
	}
	all := r.PostFormValue("all") == "1"
	if !all && len(byConsumer) == 0 {
		c.sessions.setFlash(s, flash{Error: true, Text: "Choose the dead letters to redrive."})
		http.Redirect(w, r, "/console/dlq", http.StatusSeeOther)
		return
	}
	total := 0
	var err error
	if all {
		total, err = c.opts.DLQ.Redrive(r.Context(), "")
	} else {
		for cons, ids := range byConsumer {
			var n int
			if n, err = c.opts.DLQ.Redrive(r.Context(), cons, ids...); err != nil {
				break
			}
			total += n
		}
	}
	if err != nil {
		c.opts.Log.ErrorContext(r.Context(), "console: redrive failed", "code", lead.ErrorCode(err))
		c.sessions.setFlash(s, flash{Error: true, Text: "Redrive failed; nothing more was moved. Try again."})
	} else {
		c.sessions.setFlash(s, flash{Text: fmt.Sprintf("Redrove %d message(s) to their queues.", total)})
	}
	http.Redirect(w, r, "/console/dlq", http.StatusSeeOther)
}

// configData is the config page.
type configData struct {
	Config  *config.Config
	Spec    scoring.Spec
	Routing routing.Config
	Forms   []string
}

func (c *Console) configPage(w http.ResponseWriter, r *http.Request, s *session) {
	cfg := c.opts.Config
	d := &configData{Config: cfg, Spec: cfg.Scoring.Spec(), Routing: cfg.RoutingConfig}
	for name := range cfg.Forms {
		d.Forms = append(d.Forms, name)
	}
	slices.Sort(d.Forms)
	c.render(w, r, http.StatusOK, "config", s, &view{Title: "Config", Nav: "config", Data: d})
}
