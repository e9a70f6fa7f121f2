"""crm_config.yaml: the platform's typed view (configuration.md §1, §3)."""

import ipaddress
import logging
from pathlib import Path

import pytest
import yaml

from omnibus.platform.crm_config import ConfigError, CrmConfig, StaticApiKey, load_crm_config, parse_crm_config

KEY_A = "your-secure-api-key-minimum-32-chars"
KEY_B = "another-api-key-for-specific-service"
KEY_C = "monitoring-key-0123456789abcdefghijklmnop"

REFERENCE_YAML = f"""
api_keys:
  "{KEY_A}": {{roles: ["admin"], ips: ["127.0.0.1", "::1"]}}
  "{KEY_B}": {{roles: ["customer_service_agent_1"], ips: ["127.0.0.1", "::1", "10.0.1.0/24"]}}
  "{KEY_C}":
    roles:
      - view_customer
      - view_service
    description: Monitoring and alerting
ip_whitelist:
  "10.179.2.142": {{roles: ["admin"]}}
  "192.168.1.0/24": {{roles: ["provisioning"]}}
jwt_secret: "2b93110f723db60172c8e9a1eaa80027a9a9c3f05b44e50dc3fcf38dba68d87e"
auth: {{jwt_algorithm: HS256, access_token_minutes: 30}}
security: {{trusted_proxies: ["10.0.0.0/8", "127.0.0.1"]}}
ocs: {{ocsTenant: default_tenant}}
"""


@pytest.fixture
def reference() -> CrmConfig:
    return parse_crm_config(yaml.safe_load(REFERENCE_YAML))


def _key(config: CrmConfig, secret: str) -> StaticApiKey:
    return next(k for k in config.api_keys if k.secret == secret)


def test_flow_style_api_key_has_its_roles_and_ips(reference: CrmConfig) -> None:
    key = _key(reference, KEY_A)

    assert key.roles == ("admin",)
    assert key.ips == (ipaddress.ip_network("127.0.0.1"), ipaddress.ip_network("::1"))


def test_api_key_ips_accept_cidr_ranges(reference: CrmConfig) -> None:
    key = _key(reference, KEY_B)

    assert ipaddress.ip_network("10.0.1.0/24") in key.ips


def test_block_style_api_key_has_roles_and_description_and_no_ips(reference: CrmConfig) -> None:
    key = _key(reference, KEY_C)

    assert (key.roles, key.ips, key.description) == (("view_customer", "view_service"), (), "Monitoring and alerting")


def test_api_key_label_is_its_description() -> None:
    config = parse_crm_config({"api_keys": {KEY_C: {"roles": ["admin"], "description": "Provisioning automation"}}})

    assert config.api_keys[0].label == "Provisioning automation"


def test_api_key_label_without_description_names_the_last_three_characters() -> None:
    config = parse_crm_config({"api_keys": {KEY_A: {"roles": ["admin"]}}})

    assert config.api_keys[0].label == "config key ...ars"


def test_secrets_are_not_in_the_repr(reference: CrmConfig) -> None:
    text = repr(reference)

    assert KEY_A not in text
    assert "2b93110f723db60172c8e9a1eaa80027a9a9c3f05b44e50dc3fcf38dba68d87e" not in text


def test_an_api_key_shorter_than_32_characters_is_refused() -> None:
    with pytest.raises(ConfigError, match="32"):
        parse_crm_config({"api_keys": {"YOUR_API_KEY_1": {"roles": ["admin"]}}})


def test_an_api_key_of_exactly_32_characters_is_accepted() -> None:
    config = parse_crm_config({"api_keys": {"k" * 32: {"roles": ["admin"]}}})

    assert len(config.api_keys) == 1


@pytest.mark.parametrize("entry", [{"roles": []}, {"ips": ["127.0.0.1"]}, None, {}], ids=repr)
def test_an_api_key_without_roles_is_refused(entry: object) -> None:
    with pytest.raises(ConfigError, match="roles"):
        parse_crm_config({"api_keys": {KEY_A: entry}})


def test_an_api_key_with_roles_as_a_string_is_refused() -> None:
    with pytest.raises(ConfigError, match="roles"):
        parse_crm_config({"api_keys": {KEY_A: {"roles": "admin"}}})


def test_an_api_key_with_a_bad_address_is_refused() -> None:
    with pytest.raises(ConfigError, match="not-an-ip"):
        parse_crm_config({"api_keys": {KEY_A: {"roles": ["admin"], "ips": ["not-an-ip"]}}})


def test_api_keys_as_a_list_is_refused() -> None:
    with pytest.raises(ConfigError):
        parse_crm_config({"api_keys": [KEY_A]})


def test_ip_whitelist_map_form_gives_each_entry_its_roles(reference: CrmConfig) -> None:
    entries = {str(e.network): e.roles for e in reference.ip_whitelist}

    assert entries == {"10.179.2.142/32": ("admin",), "192.168.1.0/24": ("provisioning",)}


def test_ip_whitelist_list_form_entries_act_as_admin() -> None:
    config = parse_crm_config(yaml.safe_load("ip_whitelist: [192.168.1.100, 10.0.0.0/24, 172.16.50.10]"))

    entries = {str(e.network): e.roles for e in config.ip_whitelist}

    assert entries == {
        "192.168.1.100/32": ("admin",),
        "10.0.0.0/24": ("admin",),
        "172.16.50.10/32": ("admin",),
    }


def test_ip_whitelist_list_form_logs_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="omnibus.platform.crm_config"):
        parse_crm_config({"ip_whitelist": ["10.0.0.1"]})

    assert "list form" in caplog.text


@pytest.mark.parametrize("entry", [{}, None, ["admin"], "admin", {"roles": "admin"}], ids=repr)
def test_ip_whitelist_entry_without_a_roles_list_is_refused(entry: object) -> None:
    with pytest.raises(ConfigError, match="roles"):
        parse_crm_config({"ip_whitelist": {"10.0.0.1": entry}})


@pytest.mark.parametrize(
    "whitelist", [["10.0.0.300"], {"example.com": {"roles": ["admin"]}}, "10.0.0.1"], ids=["list", "map", "string"]
)
def test_ip_whitelist_with_a_bad_address_is_refused(whitelist: object) -> None:
    with pytest.raises(ConfigError):
        parse_crm_config({"ip_whitelist": whitelist})


def test_a_bad_trusted_proxy_is_refused() -> None:
    with pytest.raises(ConfigError):
        parse_crm_config({"security": {"trusted_proxies": ["proxy.local"]}})


def test_trusted_proxy_networks_are_parsed(reference: CrmConfig) -> None:
    assert reference.trusted_proxy_networks() == (
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("127.0.0.1/32"),
    )


def test_auth_and_jwt_secret_are_read(reference: CrmConfig) -> None:
    assert (reference.auth.jwt_algorithm, reference.auth.access_token_minutes) == ("HS256", 30)
    assert reference.jwt_secret == "2b93110f723db60172c8e9a1eaa80027a9a9c3f05b44e50dc3fcf38dba68d87e"


def test_raw_keeps_every_key_for_the_services(reference: CrmConfig) -> None:
    assert reference.raw["ocs"] == {"ocsTenant": "default_tenant"}


@pytest.mark.parametrize("data", [["api_keys"], "api_keys: {}", 42, None], ids=repr)
def test_a_top_level_that_is_not_a_mapping_is_refused(data: object) -> None:
    with pytest.raises(ConfigError, match="mapping"):
        parse_crm_config(data)


def test_an_empty_mapping_gives_the_defaults() -> None:
    config = parse_crm_config({})

    assert (config.api_keys, config.ip_whitelist, config.auth.jwt_algorithm) == ((), (), "EdDSA")


def test_load_crm_config_without_a_path_is_empty() -> None:
    config = load_crm_config(None)

    assert config == CrmConfig()
    assert (config.api_keys, config.ip_whitelist, config.raw, config.jwt_secret) == ((), (), {}, None)


def test_load_crm_config_reads_a_yaml_file(tmp_path: Path) -> None:
    path = tmp_path / "crm_config.yaml"
    path.write_text(REFERENCE_YAML)

    config = load_crm_config(path)

    assert {k.secret for k in config.api_keys} == {KEY_A, KEY_B, KEY_C}


def test_load_crm_config_of_an_empty_file_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "crm_config.yaml"
    path.write_text("")

    assert load_crm_config(path) == CrmConfig()


def test_load_crm_config_of_a_missing_file_raises_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_crm_config(tmp_path / "missing.yaml")


def test_load_crm_config_of_invalid_yaml_raises_config_error(tmp_path: Path) -> None:
    path = tmp_path / "crm_config.yaml"
    path.write_text("api_keys: {unclosed")

    with pytest.raises(ConfigError, match="cannot read"):
        load_crm_config(path)
