"""Settings profiles, derived defaults, masking and validation errors."""

from __future__ import annotations

import pytest

from suuupra.settings import EventLogBackend, Profile, SettingsError, get_settings, load_settings


def test_local_profile_is_default_and_embedded(settings, data_dir):
    assert settings.profile is Profile.local
    assert settings.data_dir == data_dir.resolve()
    assert settings.database_url.startswith("sqlite:///") and str(data_dir) in settings.database_url
    assert settings.mlflow_tracking_uri.startswith("sqlite:///")
    assert settings.event_log_backend is EventLogBackend.local
    assert settings.spark_master.startswith("local")
    assert settings.qdrant_url is None
    assert settings.events_dir == data_dir.resolve() / "lake" / "events"


# Strong, distinct secrets for the prod profile (what secrets.token_urlsafe(48) gives).
PROD_SECRETS = {
    "SUUUPRA_JWT_SECRET": "Jq3v0pXc7RkL2mNw9sTb4yHd6fGa1eZu8iOoPlKjQwEr",
    "SUUUPRA_MEDIA_SIGNING_SECRET": "m9Xk2Lq7Vb3Nw8Rt1Yc6Hd0Fg5Ja4Se_Zu-Pi3Oo7KlMn",
    "SUUUPRA_SERVE_SERVICE_TOKEN": "T4nQ8wE1rY6uI0oP3aS7dF2gH5jK9lZxCvBnM_-qWe",
}
DEV_DEFAULT = object()


def _prod_env(monkeypatch, **over):
    monkeypatch.setenv("SUUUPRA_PROFILE", "prod")
    for var, value in {**PROD_SECRETS, **over}.items():
        if value is DEV_DEFAULT:
            monkeypatch.delenv(var, raising=False)
        else:
            monkeypatch.setenv(var, value)


def test_prod_profile_points_at_services(monkeypatch, data_dir):
    _prod_env(monkeypatch)
    s = load_settings()
    assert s.profile is Profile.prod
    assert s.database_url.startswith("postgresql+psycopg://")
    assert s.event_log_backend is EventLogBackend.kafka
    assert s.qdrant_url == "http://127.0.0.1:6333"
    assert s.mlflow_tracking_uri.startswith("http")
    assert s.serve_service_token.get_secret_value() == PROD_SECRETS["SUUUPRA_SERVE_SERVICE_TOKEN"]


def test_prod_accepts_generated_secrets(monkeypatch, data_dir):
    import secrets

    _prod_env(monkeypatch, **{var: secrets.token_urlsafe(48) for var in PROD_SECRETS})
    assert load_settings().profile is Profile.prod
    _prod_env(monkeypatch, **{var: secrets.token_hex(16) for var in PROD_SECRETS})  # exactly 32 characters
    assert load_settings().profile is Profile.prod


@pytest.mark.parametrize("var", sorted(PROD_SECRETS))
@pytest.mark.parametrize(
    ("value", "why"),
    [
        (DEV_DEFAULT, "development default"),
        ("hunter2", "7 characters"),
        ("Zq8-Lm3_Vx7-Rb2_Nc5-Kt9_Wy4-Hd1", "31 characters"),  # one short of the minimum
        ("dev-only-but-long-enough-0123456789-abcdef", "placeholder"),
        ("CHANGE_ME_to_something_0123456789abcdefgh", "placeholder"),
        ("x" * 64, "distinct characters"),
    ],
    ids=["dev-default", "short", "31-chars", "dev-only", "change-me", "repeated"],
)
def test_prod_refuses_weak_secrets_naming_the_variable(monkeypatch, data_dir, var, value, why):
    _prod_env(monkeypatch, **{var: value})
    with pytest.raises(SettingsError) as err:
        load_settings()
    message = str(err.value)
    assert f"{var} must be set to a random secret of at least 32 characters for the prod profile" in message
    assert why in message
    assert "secrets.token_urlsafe(48)" in message  # tells the operator how to make one
    assert [v for v in PROD_SECRETS if v in message] == [var]  # only the weak one is blamed
    if value is not DEV_DEFAULT:
        assert value not in message  # never echoes the secret


def test_prod_refuses_one_secret_reused_for_another(monkeypatch, data_dir):
    _prod_env(monkeypatch, SUUUPRA_SERVE_SERVICE_TOKEN=PROD_SECRETS["SUUUPRA_JWT_SECRET"])
    reused = "SUUUPRA_SERVE_SERVICE_TOKEN must be set.*same as SUUUPRA_JWT_SECRET"
    with pytest.raises(SettingsError, match=reused):
        load_settings()


def test_prod_refuses_dev_secrets_as_constructed_in_code(data_dir):
    from pydantic import ValidationError

    from suuupra.settings import Settings

    with pytest.raises(ValidationError) as err:
        Settings(profile="prod")
    for var in PROD_SECRETS:
        assert var in str(err.value)


def test_local_profile_keeps_the_dev_defaults(settings):
    assert settings.profile is Profile.local
    for name in ("jwt_secret", "media_signing_secret", "serve_service_token"):
        assert getattr(settings, name).get_secret_value().startswith("dev-only-")


@pytest.mark.parametrize(
    ("var", "value", "named"),
    [
        ("SUUUPRA_PROFILE", "staging", "SUUUPRA_PROFILE"),
        ("SUUUPRA_SERVE_PORT", "not-a-port", "SUUUPRA_SERVE_PORT"),
        ("SUUUPRA_API_PORT", "70000", "SUUUPRA_API_PORT"),
    ],
)
def test_invalid_settings_name_the_variable(monkeypatch, data_dir, var, value, named):
    monkeypatch.setenv(var, value)
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert named in str(err.value)


def test_env_file_is_read(tmp_path, monkeypatch, data_dir):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("SUUUPRA_SERVE_PORT=9123\n")
    assert load_settings().serve_port == 9123


def test_masked_hides_secrets_and_url_passwords(monkeypatch, data_dir):
    monkeypatch.setenv("SUUUPRA_DATABASE_URL", "postgresql+psycopg://app:hunter2@db:5432/x")
    masked = load_settings().masked()
    assert "hunter2" not in str(masked)
    assert masked["jwt_secret"] == "**********"
    assert masked["serve_service_token"] == "**********"
    assert masked["database_url"] == "postgresql+psycopg://app:****@db:5432/x"


def test_settings_are_read_lazily_and_cached(monkeypatch, data_dir):
    first = get_settings()
    monkeypatch.setenv("SUUUPRA_SERVE_PORT", "9999")
    assert get_settings() is first  # cached until reset


def test_cli_config_show_masks_secrets(data_dir, monkeypatch, capsys):
    from cli import main

    monkeypatch.setenv("SUUUPRA_JWT_SECRET", "super-secret-value-123")
    with pytest.raises(SystemExit) as done:
        main(["config", "show", "--json"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "super-secret-value-123" not in out
    assert '"profile": "local"' in out


def test_cli_invalid_setting_is_a_clear_message(data_dir, monkeypatch, capsys):
    from cli import main

    monkeypatch.setenv("SUUUPRA_PROFILE", "staging")
    with pytest.raises(SystemExit) as done:
        main(["config", "show"])
    assert done.value.code == 2
    assert "SUUUPRA_PROFILE" in capsys.readouterr().err
