package events

// Consumer names a queue-fed handler. Each consumer has one queue (with a
// dead-letter queue) and one bus rule matching its detail types.
type Consumer string

// Consumers of the bus.
const (
	ConsumerEnrich  Consumer = "enrich"
	ConsumerScore   Consumer = "score"
	ConsumerRoute   Consumer = "route"
	ConsumerNotify  Consumer = "notify"
	ConsumerNurture Consumer = "nurture"
	ConsumerCRMSync Consumer = "crmsync"
)

// Route declares which detail types feed a consumer's queue.
type Route struct {
	Consumer    Consumer
	DetailTypes []DetailType
}

// Routes is the one routing table of leadflow: the CDK stack makes one
// EventBridge rule per entry, the local bus delivers with it.
var Routes = []Route{
	{Consumer: ConsumerEnrich, DetailTypes: []DetailType{LeadCaptured}},
	{Consumer: ConsumerScore, DetailTypes: []DetailType{LeadEnriched, LeadActivityRecorded, LeadOutcomeRecorded}},
	{Consumer: ConsumerRoute, DetailTypes: []DetailType{LeadStageChanged}},
	{Consumer: ConsumerNotify, DetailTypes: []DetailType{LeadRouted, LeadReassigned}},
	{Consumer: ConsumerNurture, DetailTypes: []DetailType{LeadStageChanged, LeadActivityRecorded, LeadEnriched}},
	{Consumer: ConsumerCRMSync, DetailTypes: []DetailType{LeadStageChanged, LeadRouted, LeadReassigned, LeadErased}},
}

// ConsumersOf returns the consumers whose queues receive events of type t.
func ConsumersOf(t DetailType) []Consumer {
	var out []Consumer
	for _, r := range Routes {
		for _, dt := range r.DetailTypes {
			if dt == t {
				out = append(out, r.Consumer)
				break
			}
		}
	}
	return out
}
