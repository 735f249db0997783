// Package pipeline is logmart's contact-center stream processor: it turns
// raw interaction and agent events into the facts reports read
// (interaction_facts, interaction_resource_facts, agent_state_facts,
// agent_session_facts), in event time, the way Genesys Info Mart's stream
// processor does.
//
// # Inputs
//
// Each input topic has a versioned JSON schema, documented with examples
// in pipeline/schemas: voice-callthread, voice-agentstate, digital-itx,
// digital-agentstate, voice-outbound and gca-cfg. Every decoder (and every
// adapter of a public format) produces Events in one vocabulary (Kind), so
// one state machine per interaction and one per agent serve all sources.
// A record that cannot be used is a DeadLetter with a reason
// (ReasonSchema, ReasonUnknownVersion, ...) and an error naming the field;
// it never stops the pipeline and never affects other records.
//
// # State and time
//
// An interaction or agent keeps its events in event-time order, and its
// facts are computed again from them when it changes. Out-of-order events
// therefore need no special case: the facts are those of the sorted
// events. Facts wait for Config.AllowedLateness behind the watermark
// before they are emitted, so events that much out of order land in the
// first version; a later event recomputes the facts and each row that
// changed is emitted again with a higher version (a row that no longer
// exists comes back with deleted = 1). ClickHouse keeps the highest
// version of each fact id (ReplacingMergeTree).
//
// An ended interaction's events are kept for Config.Retention after its
// end, then dropped; an event for it after that is a dead letter
// (too_late). An event that does not fit its entity's sequence (a hold of
// a party not connected) is skipped, and kept for the retention past its
// own time, since a late event may still explain it; then it becomes a
// dead letter (impossible_sequence). So do the events of an interaction
// whose created event never arrives. States open longer than Config.MaxStateDuration are closed at
// that length and reopened if their end arrives.
//
// Agents and queues are found in the configuration (gca-cfg) by id, login
// or address. Facts for one not configured yet carry the placeholder key
// "unknown:<name>"; its configuration arriving recomputes them.
//
// # On Kafka
//
// Runner consumes the input topics in a consumer group (Config.Group) and,
// for each poll, produces the facts (gsp-ixn: interaction and resource
// facts keyed by interaction; gsp-sm: agent state and session facts keyed
// by agent), the dead letters (gsp-dead, reason and source in headers),
// the republished configuration (gsp-cfg), the after-call work agents
// handed over (gsp-acw) and the changed entities' state
// (gsp-state, a compacted changelog) in one transaction with the consumed
// offsets. A replica that starts, gains partitions or sees a transaction
// abort restores its partitions' entities from the changelog (read to a
// marker it writes), so a restart neither reprocesses history nor loses
// or repeats a fact; group membership is static under the replica's
// transactional id. Every replica reads gca-cfg whole, outside the group.
// Without input for Config.IdleAdvance, event time moves on with the
// clock so the last facts are emitted.
//
// Loader (in its own group) writes gsp-ixn and gsp-sm into the fact tables
// and gsp-dead into dead_letters. Readers take the highest version of each
// fact through the *_latest views (SELECT ... FINAL, deleted rows left
// out); the equivalent without FINAL is argMax(column, version) grouped by
// tenant and id, with argMax(deleted, version) = 0. The views use FINAL:
// on 1M unmerged rows (500k facts in two versions) a grouped read took
// 138 ms through the view against 1.9 s with argMax on the embedded engine
// (BenchmarkLatestVersion).
//
// After-call work crosses replicas: an agent and its calls are keyed
// differently, so with several replicas they are often on different ones.
// The agent's replica produces each after-call work it computes to gsp-acw
// (handoff.go) in the transaction that computed it; every replica reads
// gsp-acw whole, outside the group, and the one holding the interaction
// computes it again. TestPipelineTwoReplicas runs two replicas, one killed
// halfway, and finds the facts equal to the truth (without gsp-acw, 638
// lines differed). Limit: an interaction leaves state on its own replica's
// partitions' time, so after-call work from an agent on another replica
// more than the retention behind reaches it too late.
//
// # Event time per partition
//
// Each input partition has its own event time (eventtime.go). The runner
// tells the Processor which partitions have a backlog (consumer lag beyond
// the records fetched); such a partition is as far as the newest event it
// delivered, and the entities it feeds are computed, and its events judged
// late, on that time. A partition fetched to its end is at the watermark,
// the newest event time on any partition, so a quiet partition never holds
// the others back. After a restore, the runner reads the group's committed
// offsets against the partitions' ends to know which partitions start
// behind, before any fetch tells it.
//
// A fact depends on another partition only through after-call work, which
// an agent hands to an interaction and which corrects the interaction's
// row with a new version. So an interaction leaves state on the slowest
// partition's time, and not while one of its agents has events not yet
// computed (an agent alone on a partition behind holds that partition's
// newest event, and is computed when the partition catches up). Handed
// over, the after-call work is in the changelog in the same transaction:
// in the interaction's snapshot or, while the interaction's events have
// not arrived, in the agent's, which keeps it through folds until they do.
//
// TestPartitionBehindIsNotLate delivers one partition half an hour behind
// the other: no event is late (6,779 are without the partition's own
// time), the agents' facts need no more versions than in order, and the
// facts equal the truth; also with restores from the changelog every 1000
// records, and with the partition 90 minutes behind, past the retention.
// TestAloneOnAPartitionBehind holds an agent back two hours.
//
// # Truth
//
// internal/demo.SimulateContactCenter generates a contact center's records
// with disorder, lateness, duplicates and malformed records, and the facts
// it knows they mean; TestSimulatorTruth compares them row by row.
//
// # Scenarios
//
// testdata/scenarios holds scripts of events in and fact rows out, in the
// format described in testdata/scenarios/README.md and read by RunScenario.
package pipeline
