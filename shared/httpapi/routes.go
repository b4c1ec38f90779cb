package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/leadflow/leadflow/shared/lead"
	"github.com/leadflow/leadflow/shared/pipeline"
)

func (a *API) postForm(ctx context.Context, c *call) (int, any, error) {
	fields, err := formFields(c)
	if err != nil {
		return 0, nil, err
	}
	return a.capture(ctx, c, pipeline.Submission{Form: c.params["form"], Fields: fields})
}

func (a *API) capture(ctx context.Context, c *call, sub pipeline.Submission) (int, any, error) {
	sub.IdempotencyKey = header(c.req, "idempotency-key")
	if len(sub.IdempotencyKey) > 255 {
		return 0, nil, &lead.Error{Code: lead.EINVALID, Field: "Idempotency-Key", Message: "at most 255 bytes"}
	}
	sub.CorrelationID = c.req.RequestContext.RequestID
	res, err := a.Service.Capture(ctx, sub)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, map[string]string{"lead_id": res.LeadID, "status": "accepted"}, nil
}

// linkedInLead is the LinkedIn Lead Gen Forms webhook body: the answers of
// one form response.
type linkedInLead struct {
	FormID      string `json:"form_id"`
	SubmittedAt string `json:"submitted_at,omitempty"`
	Answers     []struct {
		Question string `json:"question"`
		Answer   string `json:"answer"`
	} `json:"answers"`
}

func (a *API) postLinkedIn(ctx context.Context, c *call) (int, any, error) {
	if _, err := mediaType(c, "application/json"); err != nil {
		return 0, nil, err
	}
	var body linkedInLead
	if err := decodeStrict(c.body, &body); err != nil {
		return 0, nil, err
	}
	fields := make(map[string]string, len(body.Answers))
	for _, ans := range body.Answers {
		if ans.Question == "" {
			return 0, nil, lead.FieldError("answers", "every answer needs a question")
		}
		fields[ans.Question] = ans.Answer
	}
	return a.capture(ctx, c, pipeline.Submission{Source: pipeline.SourceLinkedIn, Form: "linkedin", Fields: fields})
}

type eventsBody struct {
	Events []pipeline.BehaviourEvent `json:"events"`
}

// maxEvents bounds one behaviour-event batch.
const maxEvents = 100

func (a *API) postEvents(ctx context.Context, c *call) (int, any, error) {
	if _, err := mediaType(c, "application/json"); err != nil {
		return 0, nil, err
	}
	var body eventsBody
	if err := decodeStrict(c.body, &body); err != nil {
		return 0, nil, err
	}
	if len(body.Events) == 0 {
		return 0, nil, lead.FieldError("events", "at least one event is required")
	}
	if len(body.Events) > maxEvents {
		return 0, nil, lead.FieldError("events", "at most %d events per request", maxEvents)
	}
	results, err := a.Service.RecordEvents(ctx, body.Events, c.req.RequestContext.RequestID)
	if err != nil {
		return 0, nil, err
	}
	type result struct {
		pipeline.EventResult
		Error *ErrorDetail `json:"error,omitempty"`
	}
	out := make([]result, len(results))
	accepted := 0
	for i, r := range results {
		out[i].EventResult = r
		if r.Error != nil {
			out[i].Error = &ErrorDetail{Code: r.Error.Code, Message: r.Error.Message, Field: r.Error.Field}
		} else {
			accepted++
		}
	}
	return http.StatusAccepted, map[string]any{"accepted": accepted, "rejected": len(results) - accepted, "results": out}, nil
}

func (a *API) postOutcome(ctx context.Context, c *call) (int, any, error) {
	if _, err := mediaType(c, "application/json"); err != nil {
		return 0, nil, err
	}
	var o pipeline.Outcome
	if err := decodeStrict(c.body, &o); err != nil {
		return 0, nil, err
	}
	l, err := a.Service.RecordOutcome(ctx, o)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, map[string]string{"lead_id": l.ID, "stage": string(l.Stage), "status": "accepted"}, nil
}

func (a *API) getLead(ctx context.Context, c *call) (int, any, error) {
	l, err := a.Service.Lead(ctx, c.params["id"])
	if err != nil {
		return 0, nil, err
	}
	return a.view(ctx, l)
}

func (a *API) findLead(ctx context.Context, c *call) (int, any, error) {
	email := c.req.QueryStringParameters["email"]
	if email == "" {
		return 0, nil, lead.FieldError("email", "query parameter email is required")
	}
	l, err := a.Service.Store.LeadByEmail(ctx, lead.PersonKey(email))
	if err != nil {
		return 0, nil, err
	}
	return a.view(ctx, l)
}

func (a *API) view(ctx context.Context, l *lead.Lead) (int, any, error) {
	acts, err := a.Service.Store.Activities(ctx, l.ID)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, NewLeadView(l, acts), nil
}

func (a *API) deleteLead(ctx context.Context, c *call) (int, any, error) {
	id := c.params["id"]
	if err := a.Service.Erase(ctx, id); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]string{"lead_id": id, "status": "erased"}, nil
}

func (a *API) getQueue(ctx context.Context, c *call) (int, any, error) {
	owner := c.params["owner"]
	if _, ok := a.Service.Rules.Router.Rep(owner); !ok {
		return 0, nil, &lead.Error{Code: lead.ENOTFOUND, Field: "owner", Message: "no such rep"}
	}
	limit := 100
	if s := c.req.QueryStringParameters["limit"]; s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			return 0, nil, lead.FieldError("limit", "must be an integer from 1 to 1000")
		}
		limit = n
	}
	leads, err := a.Service.Store.OwnerQueue(ctx, owner, limit)
	if err != nil {
		return 0, nil, err
	}
	items := make([]QueueItem, len(leads))
	for i, l := range leads {
		items[i] = newQueueItem(l)
	}
	return http.StatusOK, map[string]any{"owner": owner, "leads": items}, nil
}

func (a *API) postContacted(ctx context.Context, c *call) (int, any, error) {
	l, err := a.Service.Contacted(ctx, c.params["id"])
	if err != nil {
		return 0, nil, err
	}
	return a.view(ctx, l)
}

type reasonBody struct {
	Reason string `json:"reason"`
	Owner  string `json:"owner,omitempty"`
}

// actionBody reads an optional JSON body of a rep action.
func actionBody(c *call) (reasonBody, error) {
	var b reasonBody
	if len(c.body) == 0 {
		return b, nil
	}
	if _, err := mediaType(c, "application/json"); err != nil {
		return b, err
	}
	return b, decodeStrict(c.body, &b)
}

func (a *API) postDisqualify(ctx context.Context, c *call) (int, any, error) {
	b, err := actionBody(c)
	if err != nil {
		return 0, nil, err
	}
	l, err := a.Service.Disqualify(ctx, c.params["id"], b.Reason)
	if err != nil {
		return 0, nil, err
	}
	return a.view(ctx, l)
}

func (a *API) postReassign(ctx context.Context, c *call) (int, any, error) {
	b, err := actionBody(c)
	if err != nil {
		return 0, nil, err
	}
	if b.Owner == "" {
		return 0, nil, &lead.Error{Code: lead.EUNPROCESSABLE, Field: "owner", Message: "the rep to reassign to is required"}
	}
	l, err := a.Service.Reassign(ctx, c.params["id"], b.Owner, b.Reason)
	if err != nil {
		return 0, nil, err
	}
	return a.view(ctx, l)
}

// LeadView is the lead as GET /v1/leads/{id} shows it, SPEC §9.
type LeadView struct {
	ID         string            `json:"id"`
	Profile    Profile           `json:"profile"`
	Stage      lead.Stage        `json:"stage"`
	Score      ScoreView         `json:"score"`
	Reasons    []lead.Reason     `json:"reasons"`
	Owner      *string           `json:"owner"`
	Team       string            `json:"team,omitempty"`
	Queue      string            `json:"queue,omitempty"`
	Routing    *lead.Routing     `json:"routing,omitempty"`
	Enrichment lead.Enrichment   `json:"enrichment"`
	Consent    lead.Consent      `json:"consent,omitempty"`
	Touches    []TouchView       `json:"touches"`
	History    []lead.Change     `json:"history"`
	Activities []lead.Activity   `json:"activities"`
	Source     string            `json:"source,omitempty"`
	Outcome    string            `json:"outcome,omitempty"`
	CreatedAt  time.Time         `json:"created_at"`
	RoutedAt   *time.Time        `json:"routed_at,omitempty"`
	Contacted  *time.Time        `json:"contacted_at,omitempty"`
	Extras     map[string]string `json:"extras,omitempty"`
}

// Profile is who the lead is.
type Profile struct {
	Email           string `json:"email"`
	FirstName       string `json:"first_name,omitempty"`
	LastName        string `json:"last_name,omitempty"`
	Title           string `json:"title,omitempty"`
	Seniority       string `json:"seniority,omitempty"`
	Function        string `json:"function,omitempty"`
	Company         string `json:"company,omitempty"`
	Domain          string `json:"domain,omitempty"`
	Website         string `json:"website,omitempty"`
	Phone           string `json:"phone,omitempty"`
	Country         string `json:"country,omitempty"`
	State           string `json:"state,omitempty"`
	Employees       int    `json:"employees,omitempty"`
	Industry        string `json:"industry,omitempty"`
	FreeEmail       bool   `json:"free_email,omitempty"`
	DisposableEmail bool   `json:"disposable_email,omitempty"`
}

// ScoreView is the score per layer.
type ScoreView struct {
	Total     float64 `json:"total"`
	Fit       float64 `json:"fit"`
	Intent    float64 `json:"intent"`
	Timing    float64 `json:"timing"`
	Predicted float64 `json:"predicted,omitempty"`
}

// TouchView is a nurture touch that was sent.
type TouchView struct {
	Step    int       `json:"step"`
	Channel string    `json:"channel"`
	Cadence string    `json:"cadence"`
	At      time.Time `json:"at"`
}

// NewLeadView builds the view of a lead.
func NewLeadView(l *lead.Lead, acts []lead.Activity) LeadView {
	v := LeadView{
		ID: l.ID, Stage: l.Stage, Team: l.Team, Queue: l.Queue, Routing: l.Routing, Enrichment: l.Enrichment,
		Consent: l.Consent, Source: l.Source, Outcome: l.Outcome, CreatedAt: l.CreatedAt, Extras: l.Extras,
		Profile: Profile{
			Email: l.Email, FirstName: l.FirstName, LastName: l.LastName, Title: l.Title, Seniority: l.Seniority,
			Function: l.Function, Company: l.Company, Domain: l.Domain, Website: l.Website, Phone: l.Phone,
			Country: l.Country, State: l.State, Employees: l.Employees, Industry: l.Industry,
			FreeEmail: l.FreeEmail, DisposableEmail: l.DisposableEmail,
		},
		Score:      ScoreView{Total: l.Score.Total, Fit: l.Score.Fit, Intent: l.Score.Intent, Timing: l.Score.Timing, Predicted: l.Score.Predicted},
		Reasons:    l.Score.Reasons,
		History:    l.History,
		Activities: acts,
		Touches:    make([]TouchView, len(l.Touches)),
	}
	if v.Reasons == nil {
		v.Reasons = []lead.Reason{}
	}
	if v.History == nil {
		v.History = []lead.Change{}
	}
	if v.Activities == nil {
		v.Activities = []lead.Activity{}
	}
	if l.Owner != "" {
		owner := l.Owner
		v.Owner = &owner
	}
	if !l.RoutedAt.IsZero() {
		t := l.RoutedAt
		v.RoutedAt = &t
	}
	if !l.ContactedAt.IsZero() {
		t := l.ContactedAt
		v.Contacted = &t
	}
	for i, t := range l.Touches {
		v.Touches[i] = TouchView{Step: t.Step, Channel: t.Channel, Cadence: t.Cadence, At: t.At}
	}
	return v
}

// QueueItem is one open lead in an owner's queue.
type QueueItem struct {
	ID        string     `json:"id"`
	Name      string     `json:"name,omitempty"`
	Company   string     `json:"company,omitempty"`
	Stage     lead.Stage `json:"stage"`
	Score     float64    `json:"score"`
	RoutedAt  time.Time  `json:"routed_at"`
	Contacted bool       `json:"contacted"`
}

func newQueueItem(l *lead.Lead) QueueItem {
	name := l.FirstName
	if l.LastName != "" {
		name += " " + l.LastName
	}
	return QueueItem{ID: l.ID, Name: name, Company: l.Company, Stage: l.Stage, Score: l.Score.Total, RoutedAt: l.RoutedAt, Contacted: !l.ContactedAt.IsZero()}
}
