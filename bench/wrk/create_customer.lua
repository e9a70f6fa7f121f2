-- wrk script: PUT /crm/customer/ with a small, realistic body; prints a JSON summary at the end.
-- The token comes from BENCH_TOKEN (empty for the baseline, which has no auth).
wrk.method = "PUT"
wrk.headers["Content-Type"] = "application/json"
local token = os.getenv("BENCH_TOKEN") or ""
if token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
wrk.body = '{"customer_name": "Acme Networks Pty Ltd", "customer_account_type": "Business", '
  .. '"contact": {"contact_firstname": "Jo", "contact_lastname": "Bloggs", "contact_email": "jo@acme.example", '
  .. '"contact_phone": "+61 2 5550 1234", "contact_types": ["primary", "billing"]}, '
  .. '"site": {"site_name": "Head office", "address_line_1": "1 Main Street", "city": "Sydney", '
  .. '"state": "NSW", "zip_code": "2000", "country": "Australia"}}'

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "errors_connect": %d, "errors_read": %d, '
    .. '"errors_write": %d, "errors_status": %d, "errors_timeout": %d, "latency_p50_us": %d, '
    .. '"latency_p90_us": %d, "latency_p99_us": %d, "latency_max_us": %d, "latency_mean_us": %.1f}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
