package console

import (
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"

	"github.com/leadflow/leadflow/events"
	"github.com/leadflow/leadflow/shared/config"
	"github.com/leadflow/leadflow/shared/configfile"
	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/localbus"
	"github.com/leadflow/leadflow/shared/replay"
	"github.com/leadflow/leadflow/shared/routing"
	"github.com/leadflow/leadflow/shared/scoring"
	"github.com/leadflow/leadflow/shared/scoring/celrules"
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

// configData is the config page, with a replay's diff once a candidate
// config was posted.
type configData struct {
	Config  *config.Config
	Spec    scoring.Spec
	Routing routing.Config
	Forms   []string

	Candidate string   // the posted candidate YAML
	Problems  []string // why the candidate does not load
	Replay    *replay.Report
	Shown     []replay.Change // the first replayShown changes
}

// replayShown bounds the changed leads listed on the page.
const replayShown = 200

func (c *Console) configData() *configData {
	cfg := c.opts.Config
	d := &configData{Config: cfg, Spec: cfg.Scoring.Spec(), Routing: cfg.RoutingConfig}
	for name := range cfg.Forms {
		d.Forms = append(d.Forms, name)
	}
	slices.Sort(d.Forms)
	return d
}

func (c *Console) configPage(w http.ResponseWriter, r *http.Request, s *session) {
	c.render(w, r, http.StatusOK, "config", s, &view{Title: "Config", Nav: "config", Data: c.configData()})
}

// replay re-scores and re-routes every stored lead under the posted
// candidate config and shows which leads would change stage or owner.
// Nothing is written. The result is the answer to the post itself: the
// candidate is not kept anywhere.
func (c *Console) replay(w http.ResponseWriter, r *http.Request, s *session) {
	d := c.configData()
	d.Candidate = r.PostFormValue("candidate")
	if strings.TrimSpace(d.Candidate) == "" {
		c.render(w, r, http.StatusUnprocessableEntity, "config", s, &view{Title: "Config", Nav: "config", Data: d, Flash: &flash{Error: true, Text: "Paste a candidate config to replay."}})
		return
	}
	// Relative paths in the candidate (datasets) resolve as the active
	// config's do.
	name := filepath.Join(filepath.Dir(c.opts.ConfigPath), "candidate.yaml")
	cand, err := configfile.Parse(name, []byte(d.Candidate), celrules.Compile)
	if err != nil {
		var errs config.Errors
		if errors.As(err, &errs) {
			for _, e := range errs {
				d.Problems = append(d.Problems, e.Error())
			}
		} else {
			d.Problems = []string{err.Error()}
		}
		c.render(w, r, http.StatusUnprocessableEntity, "config", s, &view{Title: "Config", Nav: "config", Data: d, Flash: &flash{Error: true, Text: "The candidate config does not load; see its problems below."}})
		return
	}
	rep, err := replay.Run(r.Context(), c.opts.Service.Store, replay.Options{Current: c.opts.Config, Candidate: cand, At: c.now()})
	if err != nil {
		c.storeFailed(w, r, s, err)
		return
	}
	d.Replay, d.Shown = rep, rep.Changes[:min(len(rep.Changes), replayShown)]
	c.render(w, r, http.StatusOK, "config", s, &view{Title: "Config", Nav: "config", Data: d})
}
