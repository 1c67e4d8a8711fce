/*
 * routes.c - THE route table: every endpoint of parkd's HTTP server, once.
 *
 * A row names the method, the path pattern, the capability a token needs,
 * the handler and the label of its request metrics. The router (router.c)
 * walks it: authentication, the rate limit, 404 and 405, and the
 * capability (access.c's matrix) are checked there, before any handler
 * runs. api/openapi.json describes the same set: `parkd --routes` prints
 * this table and tests/integration/openapi_check.py fails when the two
 * disagree in either direction. Add an endpoint here and in openapi.json.
 *
 * Patterns: literal segments, and {name} for one non-empty segment
 * ({name:digits}: of digits only), handed to the handler as r->param[i] in
 * the pattern's order. A literal row wins over a pattern row of the same
 * shape.
 */
#include "api/internal.h"

static enum MHD_Result h_openapi(req *r, struct MHD_Connection *c) {
    return api_send_buf(r, c, 200, "application/json", strdup((const char *)api_openapi_json),
                        api_openapi_json_len);
}

static enum MHD_Result h_whoami(req *r, struct MHD_Connection *c) {
    return api_send_json(r, c, 200,
                         json_pack("{s:s,s:s,s:s,s:s}", "id", r->tok.id, "role",
                                   api_role_name(r->tok.role), "enterprise", r->tok.enterprise,
                                   "name", r->tok.name));
}

#define V1 "/api/v1"
#define S  API_ROUTE_STREAM
#define P1 "/prom/api/v1"
#define PR (API_ROUTE_BASIC | API_ROUTE_PROM)

const api_route api_routes[] = {
    /* the server */
    {API_GET, "/healthz", API_CAP_PUBLIC, api_h_health, "healthz", 0},
    {API_GET, "/metrics", API_CAP_METRICS, api_h_metrics, "metrics", 0},
    {API_GET, V1 "/openapi.json", API_CAP_PUBLIC, h_openapi, "openapi", 0},
    {API_GET, V1 "/whoami", API_CAP_READ, h_whoami, "whoami", 0},
    {API_POST, V1 "/stream-tickets", API_CAP_READ, api_h_stream_ticket, "stream_ticket", 0},
    /* series */
    {API_GET, V1 "/series", API_CAP_READ, api_h_series, "series", 0},
    {API_GET, V1 "/series/raw", API_CAP_READ, api_h_raw, "series_raw", 0},
    {API_GET, V1 "/series/range", API_CAP_READ, api_h_range, "series_range", 0},
    {API_GET, V1 "/last", API_CAP_READ, api_h_last, "last", 0},
    {API_GET, V1 "/aggregate", API_CAP_READ, api_h_aggregate, "aggregate", 0},
    {API_GET, V1 "/replay/state", API_CAP_READ, api_h_replay_state, "replay_state", 0},
    /* the map */
    {API_GET, V1 "/layers", API_CAP_READ, api_h_layers, "layers", 0},
    {API_GET, V1 "/layers/{kind}", API_CAP_READ, api_h_layer, "layer", 0},
    /* alarms */
    {API_GET, V1 "/alarms", API_CAP_READ, api_h_alarms, "alarms", 0},
    {API_GET, V1 "/alarms/rules", API_CAP_READ, api_h_rules, "alarm_rules", 0},
    {API_POST, V1 "/alarms/rules/{rule:digits}", API_CAP_ALARM_RULES, api_h_rule_set,
     "alarm_rule_set", 0},
    {API_GET, V1 "/alarms/journal", API_CAP_READ, api_h_journal, "alarm_journal", 0},
    {API_GET, V1 "/alarms/kpis", API_CAP_READ, api_h_kpis, "alarm_kpis", 0},
    {API_POST, V1 "/alarms/{rule:digits}/{action}", API_CAP_ALARM_ACT, api_h_alarm_action,
     "alarm_action", 0},
    /* event streams */
    {API_GET, V1 "/alarms/stream", API_CAP_READ, api_h_alarm_stream, "alarm_stream", S},
    {API_GET, V1 "/live/stream", API_CAP_READ, api_h_live_stream, "live_stream", S},
    {API_GET, V1 "/replay/stream", API_CAP_READ, api_h_replay_stream, "replay_stream", S},
    /* ingest */
    {API_GET, V1 "/ingest/status", API_CAP_READ, api_h_ingest_status, "ingest_status", 0},
    {API_GET, V1 "/ingest/dead-letters", API_CAP_READ, api_h_dead_letters, "dead_letters", 0},
    {API_GET, V1 "/ingest/devices", API_CAP_READ, api_h_devices, "devices", 0},
    {API_POST, V1 "/ingest", API_CAP_INGEST, api_h_ingest_post, "ingest_post", 0},
    /* ---- issue 21: events (events/: the event store; POST through parkd's dispatcher) ---- */
    {API_GET, V1 "/events", API_CAP_READ, api_h_events, "events", 0},
    {API_POST, V1 "/events", API_CAP_INGEST, api_h_events_post, "events_post", 0},
    {API_GET, V1 "/events/state", API_CAP_READ, api_h_events_state, "events_state", 0},
    /* views and emergency */
    {API_GET, V1 "/enterprises", API_CAP_READ, api_h_enterprises, "enterprises", 0},
    {API_GET, V1 "/health", API_CAP_READ, api_h_health_figures, "health", 0},
    {API_GET, V1 "/assets/monitoring", API_CAP_READ, api_h_monitoring, "assets_monitoring", 0},
    {API_GET, V1 "/views/risk", API_CAP_READ, api_h_view_risk, "view_risk", 0},
    {API_GET, V1 "/views/risk/{id}", API_CAP_READ, api_h_view_source, "view_risk_source", 0},
    {API_GET, V1 "/views/aqi", API_CAP_READ, api_h_view_aqi, "view_aqi", 0},
    {API_GET, V1 "/views/idw", API_CAP_READ, api_h_view_idw, "view_idw", 0},
    {API_GET, V1 "/views/toxic", API_CAP_READ, api_h_view_toxic, "view_toxic", 0},
    {API_GET, V1 "/incidents", API_CAP_READ, api_h_incidents, "incidents", 0},
    {API_POST, V1 "/incidents", API_CAP_INCIDENT, api_h_incident_open, "incidents", 0},
    {API_GET, V1 "/incidents/{id}", API_CAP_READ, api_h_incident, "incident", 0},
    {API_POST, V1 "/incidents/{id}/close", API_CAP_INCIDENT, api_h_incident_close, "incident", 0},
    {API_POST, V1 "/threat-zones", API_CAP_READ, api_h_threat_zones, "threat_zones", 0},
    /* plans and the command of an incident (command/, issue 22) */
    {API_GET, V1 "/plans", API_CAP_READ, api_h_plans, "plans", 0},
    {API_GET, V1 "/incidents/{id}/command", API_CAP_READ, api_h_incident_command,
     "incident_command", 0},
    {API_POST, V1 "/incidents/{id}/command", API_CAP_INCIDENT, api_h_incident_command_post,
     "incident_command", 0},
    {API_GET, V1 "/resources", API_CAP_READ, api_h_resources, "resources", 0},
    {API_POST, V1 "/resources/{id}/status", API_CAP_INCIDENT, api_h_resource_status,
     "resource_status", 0},
    /* shift handover (handover/) */
    {API_GET, V1 "/handovers", API_CAP_READ, api_h_handovers, "handovers", 0},
    {API_POST, V1 "/handovers", API_CAP_HANDOVER, api_h_handover_sign, "handover_sign", 0},
    {API_GET, V1 "/handovers/draft", API_CAP_READ, api_h_handover_draft, "handover_draft", 0},
    {API_GET, V1 "/handovers/{id}", API_CAP_READ, api_h_handover, "handover", 0},
    {API_POST, V1 "/handovers/{id}/{action}", API_CAP_HANDOVER, api_h_handover_answer,
     "handover_answer", 0},
    /* risk units (riskunits/) */
    {API_GET, V1 "/risk-units", API_CAP_READ, api_h_risk_units, "risk_units", 0},
    {API_POST, V1 "/risk-units", API_CAP_RISK_UNITS, api_h_risk_unit_put, "risk_unit_put", 0},
    {API_POST, V1 "/risk-units/import", API_CAP_RISK_UNITS, api_h_risk_units_import,
     "risk_units_import", 0},
    {API_GET, V1 "/risk-units/map", API_CAP_READ, api_h_risk_units_map, "risk_units_map", 0},
    {API_GET, V1 "/risk-units/{id}", API_CAP_READ, api_h_risk_unit, "risk_unit", 0},
    /* InfluxDB 1.x compatibility (Telegraf, Node-RED, any line protocol writer) */
    {API_POST, "/write", API_CAP_INGEST, api_h_influx_write, "influx_write", API_ROUTE_INFLUX},
    {API_GET, "/query", API_CAP_READ, api_h_influx_query, "influx_query", API_ROUTE_INFLUX},
    {API_POST, "/query", API_CAP_READ, api_h_influx_query, "influx_query", API_ROUTE_INFLUX},
    {API_GET, "/ping", API_CAP_PUBLIC, api_h_influx_ping, "influx_ping", API_ROUTE_INFLUX},
    /* the Prometheus HTTP query API, read-only (Grafana's Prometheus datasource) */
    {API_GET, P1 "/query", API_CAP_READ, api_h_prom_query, "prom_query", PR},
    {API_POST, P1 "/query", API_CAP_READ, api_h_prom_query, "prom_query", PR},
    {API_GET, P1 "/query_range", API_CAP_READ, api_h_prom_query_range, "prom_query_range", PR},
    {API_POST, P1 "/query_range", API_CAP_READ, api_h_prom_query_range, "prom_query_range", PR},
    {API_GET, P1 "/series", API_CAP_READ, api_h_prom_series, "prom_series", PR},
    {API_POST, P1 "/series", API_CAP_READ, api_h_prom_series, "prom_series", PR},
    {API_GET, P1 "/labels", API_CAP_READ, api_h_prom_labels, "prom_labels", PR},
    {API_POST, P1 "/labels", API_CAP_READ, api_h_prom_labels, "prom_labels", PR},
    {API_GET, P1 "/label/{name}/values", API_CAP_READ, api_h_prom_label_values, "prom_label_values",
     PR},
    {API_GET, P1 "/metadata", API_CAP_READ, api_h_prom_metadata, "prom_metadata", PR},
    {API_GET, P1 "/status/buildinfo", API_CAP_READ, api_h_prom_buildinfo, "prom_buildinfo", PR},
    {API_GET, P1 "/query_exemplars", API_CAP_READ, api_h_prom_exemplars, "prom_exemplars", PR},
    {API_POST, P1 "/query_exemplars", API_CAP_READ, api_h_prom_exemplars, "prom_exemplars", PR},
    {API_GET, P1 "/rules", API_CAP_READ, api_h_prom_rules, "prom_rules", PR},
    /* VictoriaMetrics's export of raw samples, JSON lines */
    {API_GET, P1 "/export", API_CAP_READ, api_h_prom_export, "prom_export", PR},
    {API_POST, P1 "/export", API_CAP_READ, api_h_prom_export, "prom_export", PR},
    /* notification (notify/) */
    {API_GET, V1 "/notify/deliveries", API_CAP_READ, api_h_notify_deliveries, "notify_deliveries",
     0},
    {API_GET, V1 "/notify/oncall", API_CAP_READ, api_h_notify_oncall, "notify_oncall", 0},
    {API_GET, V1 "/notify/channels", API_CAP_READ, api_h_notify_channels, "notify_channels", 0},
    /* hidden hazards (hazards/) */
    {API_GET, V1 "/hazards", API_CAP_READ, api_h_hazards, "hazards", 0},
    {API_POST, V1 "/hazards", API_CAP_HAZARD, api_h_hazard_report, "hazard_report", 0},
    {API_GET, V1 "/hazards/stats", API_CAP_READ, api_h_hazard_stats, "hazard_stats", 0},
    {API_GET, V1 "/hazards/criteria", API_CAP_READ, api_h_hazard_criteria, "hazard_criteria", 0},
    {API_GET, V1 "/hazards/journal", API_CAP_READ, api_h_hazard_journal, "hazard_journal", 0},
    {API_GET, V1 "/hazards/{hazard:digits}", API_CAP_READ, api_h_hazard, "hazard", 0},
    {API_POST, V1 "/hazards/{hazard:digits}/attachments", API_CAP_HAZARD, api_h_hazard_attach,
     "hazard_attach", API_ROUTE_UPLOAD},
    {API_GET, V1 "/hazards/{hazard:digits}/attachments/{sha256}", API_CAP_READ,
     api_h_hazard_attachment, "hazard_attachment", 0},
    {API_POST, V1 "/hazards/{hazard:digits}/supervise", API_CAP_SUPERVISE, api_h_hazard_supervise,
     "hazard_supervise", 0},
    {API_POST, V1 "/hazards/{hazard:digits}/{action}", API_CAP_HAZARD, api_h_hazard_action,
     "hazard_action", 0},
    /* ---- issue 21: closedpark ---- gates, appointments, vehicles, zones (closedpark/) */
    {API_GET, V1 "/appointments", API_CAP_READ, api_h_appointments, "appointments", 0},
    {API_POST, V1 "/appointments", API_CAP_APPOINTMENTS, api_h_appointment_add, "appointment_add",
     0},
    {API_GET, V1 "/appointments/{id}", API_CAP_READ, api_h_appointment, "appointment", 0},
    {API_POST, V1 "/appointments/{id}/cancel", API_CAP_APPOINTMENTS, api_h_appointment_cancel,
     "appointment_cancel", 0},
    {API_GET, V1 "/vehicles", API_CAP_READ, api_h_vehicles, "vehicles", 0},
    {API_GET, V1 "/vehicles/{plate}", API_CAP_READ, api_h_vehicle, "vehicle", 0},
    {API_GET, V1 "/vehicles/{plate}/track", API_CAP_READ, api_h_vehicle_track, "vehicle_track", 0},
    {API_GET, V1 "/gates/passages", API_CAP_READ, api_h_gate_passages, "gate_passages", 0},
    {API_GET, V1 "/closedpark/summary", API_CAP_READ, api_h_closedpark_summary,
     "closedpark_summary", 0},
    {API_GET, V1 "/vehicle-park", API_CAP_READ, api_h_vehicle_park, "vehicle_park", 0},
    {API_GET, V1 "/zones", API_CAP_READ, api_h_zones, "zones", 0},
    {API_GET, V1 "/zones/{id}", API_CAP_READ, api_h_zone, "zone", 0},
    /* ---- issue 21: specialwork, cameras ---- */
    {API_GET, V1 "/permits", API_CAP_READ, api_h_permits, "permits", 0},
    {API_POST, V1 "/permits", API_CAP_PERMITS, api_h_permit_file, "permit_file", 0},
    {API_GET, V1 "/permits/map", API_CAP_READ, api_h_permits_map, "permits_map", 0},
    {API_GET, V1 "/permits/stats", API_CAP_READ, api_h_permits_stats, "permits_stats", 0},
    {API_GET, V1 "/permits/{permit}", API_CAP_READ, api_h_permit, "permit", 0},
    {API_POST, V1 "/permits/{permit}/gas-tests", API_CAP_PERMITS, api_h_permit_gas_test,
     "permit_gas_test", 0},
    {API_POST, V1 "/permits/{permit}/{action}", API_CAP_PERMITS, api_h_permit_action,
     "permit_action", 0},
    {API_GET, V1 "/cameras", API_CAP_READ, api_h_cameras, "cameras", 0},
    {API_GET, V1 "/camera-events", API_CAP_READ, api_h_camera_events, "camera_events", 0},
    {API_GET, V1 "/camera-events/snapshots/{sha256}", API_CAP_READ, api_h_camera_snapshot,
     "camera_snapshot", 0},
    /* administration */
    {API_POST, V1 "/admin/backup", API_CAP_BACKUP, api_h_admin_backup, "admin_backup", 0},
};

const size_t api_n_routes = sizeof api_routes / sizeof api_routes[0];

unsigned api_route_flags(int idx) {
    return idx >= 0 && (size_t)idx < api_n_routes ? api_routes[idx].flags : 0;
}

const char *api_route_label(int idx) {
    if (idx >= 0 && (size_t)idx < api_n_routes) return api_routes[idx].label;
    return idx == API_ROUTE_STATIC ? "static" : "other";
}
