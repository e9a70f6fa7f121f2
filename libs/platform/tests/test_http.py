"""HTTP conventions: dates, paging, the error shape, request ids, health and readiness."""

import math
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Depends
from fastapi.testclient import TestClient
from pydantic import BaseModel

from omnibus.platform.auth import AuthenticationError, Authenticator, PermissionDenied, require
from omnibus.platform.auth.deps import Access
from omnibus.platform.context import current_context
from omnibus.platform.crm_config import parse_crm_config
from omnibus.platform.http import ApiError, create_api
from omnibus.platform.http.types import Paging, UtcDateTime, iso_z, parse_datetime, parse_filters, space_form

# --- dates --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-01-04", datetime(2025, 1, 4, tzinfo=UTC)),
        ("2025-01-04 10:30:00", datetime(2025, 1, 4, 10, 30, tzinfo=UTC)),
        ("2025-01-04 10:30", datetime(2025, 1, 4, 10, 30, tzinfo=UTC)),
        ("2025-01-04T10:30:00", datetime(2025, 1, 4, 10, 30, tzinfo=UTC)),
        ("2025-01-04T10:30:00Z", datetime(2025, 1, 4, 10, 30, tzinfo=UTC)),
        ("2025-01-04T10:30:00z", datetime(2025, 1, 4, 10, 30, tzinfo=UTC)),
        ("2025-01-04T10:30:00+0000", datetime(2025, 1, 4, 10, 30, tzinfo=UTC)),
        ("2025-01-04T10:30:00+00:00", datetime(2025, 1, 4, 10, 30, tzinfo=UTC)),
        ("2025-01-04T10:30:00.250Z", datetime(2025, 1, 4, 10, 30, 0, 250000, tzinfo=UTC)),
        ("  2025-01-04T10:30:00Z  ", datetime(2025, 1, 4, 10, 30, tzinfo=UTC)),
    ],
)
def test_parse_datetime_accepts_the_reference_forms(text: str, expected: datetime) -> None:
    assert parse_datetime(text) == expected


@pytest.mark.parametrize("text", ["2025-01-04T10:30:00+05:30", "2025-01-04T10:30:00+0530", "2025-01-04 10:30:00+0530"])
def test_parse_datetime_converts_offsets_to_utc(text: str) -> None:
    parsed = parse_datetime(text)

    assert parsed == datetime(2025, 1, 4, 5, 0, tzinfo=UTC)
    assert parsed.utcoffset() == timedelta(0)


def test_parse_datetime_converts_negative_offsets_across_midnight() -> None:
    assert parse_datetime("2025-01-04T22:00:00-0500") == datetime(2025, 1, 5, 3, 0, tzinfo=UTC)


def test_parse_datetime_treats_a_naive_datetime_as_utc() -> None:
    assert parse_datetime(datetime(2025, 1, 4, 10, 30)) == datetime(2025, 1, 4, 10, 30, tzinfo=UTC)


def test_parse_datetime_converts_an_aware_datetime_to_utc() -> None:
    aware = datetime(2025, 1, 4, 10, 30, tzinfo=timezone(timedelta(hours=10)))

    assert parse_datetime(aware) == datetime(2025, 1, 4, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "value", ["garbage", "", "   ", "2025-13-01", "2025-01-32", "2025-01-04T25:00:00", "04/01/2025", "2025", None, 17]
)
def test_parse_datetime_rejects_anything_else(value: Any) -> None:
    with pytest.raises(ValueError):
        parse_datetime(value)


def test_iso_z_formats_utc_with_z() -> None:
    assert iso_z(datetime(2025, 1, 4, 10, 30, 15, 999, tzinfo=UTC)) == "2025-01-04T10:30:15Z"


def test_iso_z_converts_other_offsets_to_utc() -> None:
    value = datetime(2025, 1, 4, 10, 30, tzinfo=timezone(timedelta(hours=5, minutes=30)))

    assert iso_z(value) == "2025-01-04T05:00:00Z"


def test_iso_z_treats_naive_as_utc_and_keeps_none() -> None:
    assert (iso_z(datetime(2025, 1, 4, 10, 30)), iso_z(None)) == ("2025-01-04T10:30:00Z", None)


def test_space_form_is_utc_with_a_space() -> None:
    value = datetime(2025, 1, 4, 10, 30, tzinfo=timezone(timedelta(hours=-2)))

    assert (space_form(value), space_form(None)) == ("2025-01-04 12:30:00", None)


def test_utc_date_time_fields_parse_reference_forms_and_serialise_with_z() -> None:
    class Model(BaseModel):
        when: UtcDateTime

    model = Model.model_validate({"when": "2025-01-04 10:30:00"})

    assert model.model_dump(mode="json") == {"when": "2025-01-04T10:30:00Z"}


# --- paging and filters -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "per_page", "pages"), [(0, 50, 0), (1, 50, 1), (50, 50, 1), (51, 50, 2), (1000, 7, 143)]
)
def test_paging_envelope_counts_pages(total: int, per_page: int, pages: int) -> None:
    paging = Paging(page=2, per_page=per_page)

    envelope = paging.envelope(["x"], total)

    assert envelope == {
        "data": ["x"],
        "pagination": {"current_page": 2, "per_page": per_page, "total_pages": pages, "total_items": total},
    }
    assert pages == (math.ceil(total / per_page) if total else 0)


def test_paging_offset_skips_earlier_pages() -> None:
    assert (Paging(page=1, per_page=20).offset, Paging(page=3, per_page=20).offset) == (0, 40)


def test_paging_order_is_case_insensitive_and_descending_by_default() -> None:
    assert (Paging().descending, Paging(order="ASC").descending, Paging(order="Desc").descending) == (
        True,
        False,
        True,
    )


def test_paging_blank_search_is_none() -> None:
    assert (Paging(search="  ").search, Paging(search=" acme ").search) == (None, "acme")


def test_parse_filters_wraps_single_values_in_lists() -> None:
    parsed = parse_filters('{"customer_status": ["Open", "Closed"], "customer_id": 5}')

    assert parsed == {"customer_status": ["Open", "Closed"], "customer_id": [5]}


@pytest.mark.parametrize("raw", [None, ""])
def test_parse_filters_of_nothing_is_empty(raw: str | None) -> None:
    assert parse_filters(raw) == {}


@pytest.mark.parametrize("raw", ["{not json", '["customer_status"]', '"Open"', "42"])
def test_parse_filters_errors_are_400_bad_filters(raw: str) -> None:
    with pytest.raises(ApiError) as raised:
        parse_filters(raw)

    assert (raised.value.http_status, raised.value.code) == (400, "bad_filters")


# --- the app: errors, request ids, health ------------------------------------------------------------------------

ADMIN_KEY = "admin-key-0123456789abcdefghijklmnopqrstuv"
VIEWER_KEY = "viewer-key-0123456789abcdefghijklmnopqrstu"


class Conflict(Exception):
    http_status = 409


class OutOfStock(Exception):
    http_status = 422
    code = "out_of_stock"
    details = {"sku": "SIM-1"}


class ThingIn(BaseModel):
    name: str
    count: int


class Secret(Exception):
    """A bug whose message must not reach the client."""


def a_router() -> APIRouter:
    router = APIRouter()

    @router.get("/conflict")
    def conflict() -> None:
        raise Conflict("Customer 5 was changed concurrently")

    @router.get("/out-of-stock")
    def out_of_stock() -> None:
        raise OutOfStock("No SIM cards left")

    @router.get("/api-error")
    def api_error() -> None:
        raise ApiError(400, "bad_thing", "That thing is bad", details={"field": "x"})

    @router.get("/boom")
    def boom() -> None:
        raise Secret("password=hunter2 at db.internal:5432")

    @router.post("/things")
    def create(body: ThingIn) -> dict[str, Any]:
        return body.model_dump()

    @router.get("/inner-validation")
    def inner_validation() -> None:
        ThingIn.model_validate({"name": "x", "count": "many"})

    @router.get("/paged")
    def paged(paging: Annotated[Paging, Depends()]) -> dict[str, Any]:
        return {"descending": paging.descending, "filters": paging.filters, "per_page": paging.per_page}

    @router.get("/context")
    def context() -> dict[str, Any]:
        ctx = current_context()
        assert ctx is not None
        return {"correlation_id": ctx.correlation_id, "causation_id": ctx.causation_id}

    @router.post("/write")
    def write() -> dict[str, str]:
        ctx = current_context()
        assert ctx is not None
        ctx.last_position = 41
        return {"status": "written"}

    @router.get("/unauthenticated")
    def unauthenticated() -> None:
        raise AuthenticationError("Authentication required")

    @router.get("/forbidden")
    def forbidden() -> None:
        raise PermissionDenied("Permission denied: requires delete_customer")

    @router.get("/customers")
    def customers(access: Annotated[Access, Depends(require("view_customer"))]) -> dict[str, Any]:
        return {"auth_method": access.principal.auth_method}

    return router


def an_api(**kwargs: Any) -> Any:
    config = parse_crm_config({"api_keys": {ADMIN_KEY: {"roles": ["admin"]}, VIEWER_KEY: {"roles": ["view_product"]}}})
    return create_api(
        title="test", service="test", routers=[a_router()], authenticator=Authenticator(config=config), **kwargs
    )


@pytest.fixture
def client() -> TestClient:
    return TestClient(an_api())


def test_an_exception_with_http_status_is_answered_with_that_status(client: TestClient) -> None:
    response = client.get("/conflict")

    assert response.status_code == 409
    assert response.json() == {"message": "Customer 5 was changed concurrently", "code": "conflict"}


def test_an_exception_with_code_and_details_is_answered_with_them(client: TestClient) -> None:
    response = client.get("/out-of-stock")

    assert response.status_code == 422
    assert response.json() == {"message": "No SIM cards left", "code": "out_of_stock", "details": {"sku": "SIM-1"}}


def test_an_api_error_is_answered_with_its_status_code_and_details(client: TestClient) -> None:
    response = client.get("/api-error")

    assert response.status_code == 400
    assert response.json() == {"message": "That thing is bad", "code": "bad_thing", "details": {"field": "x"}}


def test_a_domain_error_response_carries_the_request_id(client: TestClient) -> None:
    response = client.get("/conflict", headers={"X-Request-ID": "req-409"})

    assert response.headers["x-request-id"] == "req-409"


def test_an_unexpected_exception_is_a_500_that_reveals_nothing() -> None:
    client = TestClient(an_api(), raise_server_exceptions=False)

    response = client.get("/boom", headers={"X-Request-ID": "req-500"})

    assert response.status_code == 500
    assert response.json() == {
        "message": "Internal server error",
        "code": "internal_error",
        "details": {"request_id": "req-500"},
    }
    assert "hunter2" not in response.text


def test_an_invalid_body_is_a_400_validation_error_naming_the_fields(client: TestClient) -> None:
    response = client.post("/things", json={"count": "many"})

    body = response.json()
    assert response.status_code == 400
    assert body["code"] == "validation_error"
    assert {d["field"] for d in body["details"]} == {"name", "count"}
    assert "name" in body["message"] and "count" in body["message"]


def test_a_valid_body_passes(client: TestClient) -> None:
    response = client.post("/things", json={"name": "sim", "count": 2})

    assert (response.status_code, response.json()) == (200, {"name": "sim", "count": 2})


def test_a_validation_error_raised_by_a_handler_is_a_400(client: TestClient) -> None:
    response = client.get("/inner-validation")

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert [d["field"] for d in response.json()["details"]] == ["count"]


def test_an_invalid_query_parameter_is_a_400_naming_it(client: TestClient) -> None:
    response = client.get("/paged", params={"per_page": 5000})

    assert response.status_code == 400
    assert [d["field"] for d in response.json()["details"]] == ["per_page"]


def test_bad_filters_in_a_query_are_a_400_bad_filters(client: TestClient) -> None:
    response = client.get("/paged", params={"filters": "[1, 2]"})

    assert (response.status_code, response.json()["code"]) == (400, "bad_filters")


def test_paging_parameters_reach_the_handler(client: TestClient) -> None:
    response = client.get("/paged", params={"order": "ASC", "per_page": 10, "filters": '{"city": "Perth"}'})

    assert response.json() == {"descending": False, "filters": {"city": ["Perth"]}, "per_page": 10}


def test_an_unknown_path_is_a_404_with_message_and_code(client: TestClient) -> None:
    response = client.get("/no/such/thing")

    assert response.status_code == 404
    assert response.json() == {"message": "Not Found", "code": "not_found"}


def test_a_wrong_method_is_a_405_with_message_and_code(client: TestClient) -> None:
    response = client.delete("/things")

    assert (response.status_code, response.json()["code"]) == (405, "method_not_allowed")


def test_an_authentication_error_is_a_401_with_only_a_message(client: TestClient) -> None:
    response = client.get("/unauthenticated")

    assert response.status_code == 401
    assert response.json() == {"message": "Authentication required"}
    assert response.headers["www-authenticate"] == "Bearer"


def test_permission_denied_is_a_403_with_only_a_message(client: TestClient) -> None:
    response = client.get("/forbidden")

    assert (response.status_code, response.json()) == (403, {"message": "Permission denied: requires delete_customer"})


def test_require_lets_a_caller_with_the_permission_through(client: TestClient) -> None:
    response = client.get("/customers", headers={"X-API-KEY": ADMIN_KEY})

    assert (response.status_code, response.json()) == (200, {"auth_method": "api_key"})


def test_require_refuses_a_caller_without_credentials_with_401(client: TestClient) -> None:
    assert client.get("/customers").status_code == 401


def test_require_refuses_a_caller_without_the_permission_with_403(client: TestClient) -> None:
    response = client.get("/customers", headers={"X-API-KEY": VIEWER_KEY})

    assert (response.status_code, response.json()) == (403, {"message": "Permission denied: requires view_customer"})


def test_the_request_id_is_echoed(client: TestClient) -> None:
    response = client.get("/health", headers={"X-Request-ID": "abc-123"})

    assert response.headers["x-request-id"] == "abc-123"


def test_a_request_id_is_generated_when_none_is_sent(client: TestClient) -> None:
    first, second = client.get("/health"), client.get("/health")

    ids = (first.headers["x-request-id"], second.headers["x-request-id"])
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)
    assert ids[0] != ids[1]


def test_the_command_context_uses_the_request_id_as_correlation_and_causation(client: TestClient) -> None:
    response = client.get("/context", headers={"X-Request-ID": "req-1"})

    assert response.json() == {"correlation_id": "req-1", "causation_id": "req-1"}


def test_the_command_context_keeps_a_given_correlation_id(client: TestClient) -> None:
    response = client.get("/context", headers={"X-Request-ID": "req-1", "X-Correlation-ID": "flow-9"})

    assert response.json() == {"correlation_id": "flow-9", "causation_id": "req-1"}


def test_a_write_waits_for_its_position_to_be_projected_before_answering() -> None:
    waited: list[int] = []

    async def wait_projected(position: int) -> None:
        waited.append(position)

    client = TestClient(an_api(state={"wait_projected": wait_projected}))

    response = client.post("/write")

    assert (response.status_code, waited) == (200, [41])


def test_a_read_does_not_wait_for_projections() -> None:
    waited: list[int] = []

    async def wait_projected(position: int) -> None:
        waited.append(position)

    client = TestClient(an_api(state={"wait_projected": wait_projected}))

    client.get("/context")

    assert waited == []


@pytest.mark.parametrize("path", ["/health", "/crm/health"])
def test_health_is_200(client: TestClient, path: str) -> None:
    response = client.get(path)

    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def check(result: bool | Exception) -> Callable[[], Awaitable[bool]]:
    async def readiness() -> bool:
        if isinstance(result, Exception):
            raise result
        return result

    return readiness


def test_ready_is_200_when_every_check_passes() -> None:
    client = TestClient(an_api(readiness=[check(True), check(True)]))

    response = client.get("/ready")

    assert (response.status_code, response.json()) == (200, {"status": "ready"})


def test_ready_is_200_without_checks(client: TestClient) -> None:
    assert client.get("/ready").status_code == 200


def test_ready_is_503_when_a_check_returns_false() -> None:
    client = TestClient(an_api(readiness=[check(True), check(False)]))

    response = client.get("/ready")

    assert (response.status_code, response.json()["status"]) == (503, "unavailable")
    assert response.json()["failing"] == ["readiness"]


def test_ready_is_503_when_a_check_raises() -> None:
    client = TestClient(an_api(readiness=[check(ConnectionError("database down"))]))

    response = client.get("/ready")

    assert response.status_code == 503
    assert "database down" not in response.text


def test_ready_uses_the_checks_in_the_app_state() -> None:
    client = TestClient(an_api(state={"readiness": [check(False)]}))

    assert client.get("/ready").status_code == 503
