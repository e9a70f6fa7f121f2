"""The service's settings (cbc.md §6, D109-D112): env first, then crm_config.yaml, then the defaults."""

from typing import Any

import pytest

from omnibus.cbc.settings import SEND_PATH, CbcPaths, CbcSettings, resolve
from omnibus.platform.crm_config import parse_crm_config


def _resolve(raw: dict[str, Any], **env: Any) -> Any:
    return resolve(CbcSettings(**env), parse_crm_config(raw))


def test_without_a_cbc_url_the_stand_in_is_used_with_every_path_it_serves() -> None:
    config = _resolve({})

    assert config.url is None
    assert config.paths == CbcPaths(send=SEND_PATH, status="/alerts/{reference}", cancel="/alerts/cancel")
    assert (config.rules.max_chars_per_language, config.two_person, config.max_attempts) == (500, True, 5)


def test_a_real_cbc_has_only_the_documented_send_path_unless_more_are_configured() -> None:
    plain = _resolve({"cbc_url": "http://10.179.1.113:8080/"})
    more = _resolve(
        {"cbc_url": "http://cbc", "cbc": {"api_paths": {"cancel": "/v1/cancel", "status": "/v1/{reference}"}}}
    )

    assert (plain.url, plain.paths) == ("http://10.179.1.113:8080", CbcPaths())
    assert (more.paths.cancel, more.paths.status_of("r1")) == ("/v1/cancel", "/v1/r1")


def test_environment_settings_win_over_crm_config() -> None:
    config = _resolve(
        {"cbc_url": "http://from-config", "cbc": {"max_attempts": 9}},
        url="http://from-env",
        max_attempts=2,
        api_paths='{"cancel": "/x"}',
        approve_wait_seconds=0,
    )

    assert (config.url, config.max_attempts, config.paths.cancel, config.approve_wait_seconds) == (
        "http://from-env",
        2,
        "/x",
        0,
    )


def test_api_paths_from_the_environment_must_be_json() -> None:
    with pytest.raises(ValueError, match="OMNIBUS_CBC_API_PATHS"):
        _resolve({}, api_paths="cancel=/x")


def test_cbc_keys_of_crm_config_are_read() -> None:
    config = _resolve(
        {
            "cbc": {
                "max_chars_per_language": 0,
                "require_two_person": False,
                "channels": ["basic"],
                "message_identifier_labels": {"900": "Operator drill"},
            }
        }
    )

    assert (config.rules.max_chars_per_language, config.two_person, config.rules.channels) == (0, False, ("basic",))
    assert "900" in config.rules.identifiers and "4370" in config.rules.identifiers


@pytest.mark.parametrize(
    "raw",
    [
        {"cbc_url": "ftp://cbc"},
        {"cbc": {"api_paths": {"cancel": "no-slash"}}},
        {"cbc": {"api_paths": {"status": "/alerts"}}},
        {"cbc": {"api_paths": {"kill": "/x"}}},
        {"cbc": {"max_chars_per_language": -1}},
        {"cbc": {"max_attempts": "many"}},
        {"cbc": "yes"},
    ],
)
def test_bad_settings_fail_at_startup_naming_the_key(raw: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="cbc"):
        _resolve(raw)
