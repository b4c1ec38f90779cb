package dynamo

import (
	"fmt"
	"hash/fnv"
	"math"
	"time"

	"github.com/leadflow/leadflow/shared/lead"
)

// Item layout on the single table. Every item has pk, sk and type; the
// GSI attributes are set only on lead items.
//
//	lead         pk LEAD#<id>          sk LEAD
//	activity     pk LEAD#<id>          sk ACT#<time>#<activity id>
//	activity id  pk LEAD#<id>          sk ACTID#<activity id>   (idempotency marker)
//	email claim  pk EMAIL#<email>      sk EMAIL
//	account      pk ACCOUNT#<domain>   sk ACCOUNT
//	once record  pk ONCE#<key>         sk ONCE                  (ttl)
//	             domain_pk ONCEOF#<value>  domain_sk ONCE#<key>  (overloads the
//	             domain index so an erasure finds the records naming a lead)
//	counter      pk COUNTER#<name>     sk COUNTER
const (
	AttrType    = "type"    // item type, one of the Type* values
	AttrData    = "data"    // the domain value as JSON
	AttrVersion = "version" // a lead's optimistic version
	AttrEmail   = "email"   // a lead's normalised email
	AttrLeadID  = "lead_id" // on email claims and once records
	AttrOwner   = "owner"   // an account's claimed owner
	AttrValue   = "value"   // a once record's value
	AttrExpires = "expires" // a once record's expiry in Unix nanoseconds (ttl is in seconds)
	AttrCount   = "n"       // a counter's value

	TypeLead     = "lead"
	TypeActivity = "activity"
	TypeActID    = "activity_id"
	TypeEmail    = "email"
	TypeAccount  = "account"
	TypeOnce     = "once"
	TypeCounter  = "counter"

	// ActivityShards is the number of activity-index partitions the lead
	// items are spread over, so the sweep index has no hot partition.
	ActivityShards = 4
)

// sortableTime formats t so that string order is time order: RFC 3339 in
// UTC with a fixed nine-digit fraction (RFC3339Nano trims zeros, which breaks
// the order).
const sortableTime = "2006-01-02T15:04:05.000000000Z07:00"

func timeKey(t time.Time) string { return t.UTC().Format(sortableTime) }

func leadPK(id string) string        { return "LEAD#" + id }
func emailPK(email string) string    { return "EMAIL#" + email }
func accountPK(domain string) string { return "ACCOUNT#" + domain }
func oncePK(key string) string       { return "ONCE#" + key }
func counterPK(name string) string   { return "COUNTER#" + name }
func ownerPK(owner string) string    { return "OWNER#" + owner }
func domainPK(domain string) string  { return "DOMAIN#" + domain }
func onceOfPK(value string) string   { return "ONCEOF#" + value }

// maxIndexedValue is the longest once value indexed by value: lead ids are
// far shorter, and DynamoDB caps an index partition key at 2048 bytes.
const maxIndexedValue = 1024

const (
	skLead    = "LEAD"
	skEmail   = "EMAIL"
	skAccount = "ACCOUNT"
	skOnce    = "ONCE"
	skCounter = "COUNTER"
	actPrefix = "ACT#"
)

func activitySK(a lead.Activity) string { return actPrefix + timeKey(a.OccurredAt) + "#" + a.ID }
func activityIDSK(id string) string     { return "ACTID#" + id }

// activityShard spreads leads over the activity index partitions by a hash
// of the id, so a lead always lands in the same shard.
func activityShard(id string) string {
	h := fnv.New32a()
	h.Write([]byte(id))
	return fmt.Sprintf("ACTIVE#%d", h.Sum32()%ActivityShards)
}

// scoreScale keeps four decimals of a (possibly fractional) score in the
// owner index; scoreBound clamps absurd totals so the key keeps its width.
const (
	scoreScale = 1e4
	scoreBound = 1e14
)

// ownerSK orders an owner's queue highest score first when read ascending:
// the score is inverted and zero-padded, then the id breaks ties.
func ownerSK(l *lead.Lead) string {
	v := l.Score.Total * scoreScale
	if math.IsNaN(v) {
		v = 0
	}
	v = math.Max(-scoreBound, math.Min(scoreBound, math.Round(v)))
	return fmt.Sprintf("%015d#%s", int64(scoreBound-v), l.ID)
}

// openStage reports whether a lead in stage s sits in its owner's queue.
func openStage(s lead.Stage) bool { return s == lead.StageSQL || s == lead.StageSAL }
