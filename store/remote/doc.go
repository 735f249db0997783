// Package remote is the production store.Store: a ClickHouse server or
// cluster reached over the native protocol with clickhouse-go/v2.
//
// It keeps the contract store/chdb keeps, so capabilities cannot tell the
// engines apart:
//
//   - Query parameters travel as server-side bound parameters
//     (clickhouse.WithParameters); the SQL text is sent as given and never
//     has a value spliced into it.
//   - store.Settings become per-query settings (clickhouse.WithSettings), so
//     read-only mode, limits and additional_table_filters are enforced by
//     ClickHouse, not by inspecting the statement.
//   - Insert sends a store.Block column by column in a native batch; a
//     deduplication token becomes the insert_deduplication_token setting.
//   - Server exceptions become *store.Error with code, name and message;
//     network failures wrap store.ErrUnavailable.
//
// It needs ClickHouse 22.8 or later: bound parameters over the native
// protocol, fractional-second max_execution_time and
// additional_table_filters all arrived in 22.x.
//
// With Config.Cluster set, the DDL this package runs itself (creating the
// database) carries ON CLUSTER; other DDL is the caller's, which asks
// Cluster() for the name.
package remote
