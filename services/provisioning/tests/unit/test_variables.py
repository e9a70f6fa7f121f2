"""Variable merge (provisioning.md §4.3) and secret redaction (D65)."""

from omnibus.provisioning.domain.variables import REDACTED, merge_vars, parse_product_vars, redact, secret_values


def test_system_vars_beat_request_vars_which_beat_product_vars() -> None:
    product = parse_product_vars('{"monthly_cost": 50, "data_gb": 100}')
    request = {"product_id": 10, "customer_id": 456, "monthly_cost": 45, "custom_param": "value"}
    system = {"product_id": 10, "customer_id": 456, "access_token": "eyJ.x.y"}

    merged = merge_vars(product, request, system)

    assert merged == {
        "monthly_cost": 45,
        "data_gb": 100,
        "product_id": 10,
        "customer_id": 456,
        "custom_param": "value",
        "access_token": "eyJ.x.y",
    }


def test_product_vars_must_be_an_object() -> None:
    assert parse_product_vars(None) == {} and parse_product_vars("") == {}
    for bad in ("[1]", '"x"'):
        try:
            parse_product_vars(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad} was accepted")


def test_secret_keys_are_redacted_at_any_depth_and_their_values_everywhere() -> None:
    variables = {
        "access_token": "eyJhbGciOi.secret.token",
        "sim": {"Ki": "465B5CE8B199B49FAA5F0A2EE238A6BC", "imsi": "001010000000001"},
        "customer_id": 5,
    }
    task_result = {
        "msg": "calling with eyJhbGciOi.secret.token",
        "invocation": {"module_args": {"headers": {"Authorization": "Bearer eyJhbGciOi.secret.token"}}},
        "stdout_lines": ["ki=465B5CE8B199B49FAA5F0A2EE238A6BC"],
    }

    stored = redact(variables, secret_values(variables))
    shown = redact(task_result, secret_values(variables))

    assert stored == {"access_token": REDACTED, "sim": {"Ki": REDACTED, "imsi": "001010000000001"}, "customer_id": 5}
    assert shown == {
        "msg": f"calling with {REDACTED}",
        "invocation": {"module_args": {"headers": {"Authorization": REDACTED}}},
        "stdout_lines": [f"ki={REDACTED}"],
    }


def test_ordinary_keys_that_end_like_secrets_are_kept() -> None:
    assert redact({"monthly_cost": 5, "package_name": "Boost", "token_count": 3}) == {
        "monthly_cost": 5,
        "package_name": "Boost",
        "token_count": 3,
    }
