"""Calls every route of a running Vigie server through a client generated from its OpenAPI
document (openapi-python-client), and checks that each answer parses into the generated
types. Run by the Rust test `api::a_generated_python_client_calls_every_route`, with the
generated package on PYTHONPATH.

Usage: client_calls_every_route.py BASE_URL CONFIG_JSON
CONFIG_JSON: {"agent": token, "analyst": token, "admin": token, "company": id in the
agent's territory, "model": version}
"""

import json
import sys

from vigie_client import AuthenticatedClient, Client
from vigie_client.api.alerts import alerts, export
from vigie_client.api.companies import company, feedback, follow_up
from vigie_client.api.models import activate, models
from vigie_client.api.operations import healthz, metrics, readyz
from vigie_client.api.runs import monitoring, run, runs
from vigie_client.api.scores import score
from vigie_client.api.self_assessment import self_assessment
from vigie_client.models import (
    AlertsResponse,
    Answers,
    CompanyResponse,
    ErrorBody,
    FeedbackRequest,
    FeedbackResponse,
    FollowUpRequest,
    FollowUpView,
    Health,
    ModelsResponse,
    MonitoringResponse,
    RunsResponse,
    ScoreBatch,
    ScoreOne,
    ScoreResponse,
    SelfAssessmentResponse,
    Summary,
)

base, config = sys.argv[1], json.loads(sys.argv[2])
# Unexpected statuses raise: every status the server answers must be in the document.
def client(token):
    return AuthenticatedClient(base_url=base, token=token, raise_on_unexpected_status=True)

anonymous = Client(base_url=base, raise_on_unexpected_status=True)
agent, analyst, admin = client(config["agent"]), client(config["analyst"]), client(config["admin"])
called = []


def check(name, response, status, kind):
    assert response.status_code == status, f"{name}: {response.status_code} {response.content[:300]!r}"
    if kind is not None:
        assert isinstance(response.parsed, kind), f"{name}: parsed {type(response.parsed)}"
    called.append(name)
    return response.parsed


check("healthz", healthz.sync_detailed(client=anonymous), 200, Health)
check("readyz", readyz.sync_detailed(client=anonymous), 200, Health)
text = check("metrics", metrics.sync_detailed(client=anonymous), 200, None)
assert b"vigie_http_requests_total" in metrics.sync_detailed(client=anonymous).content

features = {"tax_arrears_ratio": 0.4, "fin_roa": -0.1, "soc_debt_ratio": None}
out = check("score", score.sync_detailed(client=analyst, body=ScoreOne.from_dict({"features": features})), 200, ScoreResponse)
assert isinstance(out.items[0].explanation, Summary), out.items[0].explanation
assert 0.0 <= out.items[0].p.field_18m <= 1.0
quick = score.sync_detailed(client=analyst, body=ScoreBatch.from_dict({"items": [{"ref": "a", "features": features}], "explain": False}))
check("score (batch, no explanation)", quick, 200, ScoreResponse)

c = check("company", company.sync_detailed(config["company"], client=agent), 200, CompanyResponse)
assert isinstance(c.latest.explanation, Summary), "an alert's explanation parses"
bad = company.sync_detailed("123456789", client=agent)
assert isinstance(check("company (bad SIREN)", bad, 404, ErrorBody), ErrorBody) and bad.parsed.code.value == "invalid_siren"
check("follow_up", follow_up.sync_detailed(config["company"], client=agent, body=FollowUpRequest.from_dict({"status": "contacted", "note": "appelé"})), 200, FollowUpView)
check("feedback", feedback.sync_detailed(config["company"], client=agent, body=FeedbackRequest(useful=True)), 201, FeedbackResponse)

page = check("alerts", alerts.sync_detailed(client=agent, limit=2), 200, AlertsResponse)
if page.next_cursor:
    check("alerts (next page)", alerts.sync_detailed(client=agent, limit=2, cursor=page.next_cursor), 200, AlertsResponse)
csv = check("export", export.sync_detailed(client=agent), 200, None)
assert export.sync_detailed(client=agent).content.startswith(b"company_id,")

listed = check("runs", runs.sync_detailed(client=analyst), 200, RunsResponse)
report = check("run", run.sync_detailed(listed.items[0].run_id, client=analyst), 200, None)
check("run (agent)", run.sync_detailed(listed.items[0].run_id, client=agent), 403, ErrorBody)
check("monitoring", monitoring.sync_detailed(client=analyst), 200, MonitoringResponse)
check("models", models.sync_detailed(client=analyst), 200, ModelsResponse)
check("activate", activate.sync_detailed(config["model"], client=admin), 200, ModelsResponse)
check("activate (analyst)", activate.sync_detailed(config["model"], client=analyst), 403, ErrorBody)
check("unauthorized", alerts.sync_detailed(client=client("vigie_not_a_token")), 401, ErrorBody)

# The public self-diagnosis: no token.
figures = {"fiscal_year_end": "2025-12-31", "accounts": {"turnover": 800000, "total_assets": 600000},
           "tax_arrears": 60000, "created": "2019-05", "naf": "56.10A"}
answer = check("self_assessment", self_assessment.sync_detailed(client=anonymous, body=Answers.from_dict(figures)), 200, SelfAssessmentResponse)
assert answer.band and len(answer.help_) == 6, answer
refused = self_assessment.sync_detailed(client=anonymous, body=Answers.from_dict({"accounts": {"turnover": -5}}))
assert check("self_assessment (bad figures)", refused, 422, ErrorBody).fields, refused.parsed

print(json.dumps({"called": called}))
