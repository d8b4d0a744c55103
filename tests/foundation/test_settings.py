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


def test_prod_profile_points_at_services(monkeypatch, data_dir):
    monkeypatch.setenv("SUUUPRA_PROFILE", "prod")
    monkeypatch.setenv("SUUUPRA_JWT_SECRET", "a-real-secret-for-prod-0123456789")
    s = load_settings()
    assert s.profile is Profile.prod
    assert s.database_url.startswith("postgresql+psycopg://")
    assert s.event_log_backend is EventLogBackend.kafka
    assert s.qdrant_url == "http://127.0.0.1:6333"
    assert s.mlflow_tracking_uri.startswith("http")


def test_prod_refuses_dev_secret(monkeypatch, data_dir):
    monkeypatch.setenv("SUUUPRA_PROFILE", "prod")
    monkeypatch.delenv("SUUUPRA_JWT_SECRET", raising=False)
    with pytest.raises(SettingsError, match="jwt_secret"):
        load_settings()


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
    assert masked["database_url"] == "postgresql+psycopg://app:****@db:5432/x"


def test_settings_are_read_lazily_and_cached(monkeypatch, data_dir):
    first = get_settings()
    monkeypatch.setenv("SUUUPRA_SERVE_PORT", "9999")
    assert get_settings() is first  # cached until reset


def test_cli_config_show_masks_secrets(data_dir, monkeypatch, capsys):
    from suuupra.cli import main

    monkeypatch.setenv("SUUUPRA_JWT_SECRET", "super-secret-value-123")
    with pytest.raises(SystemExit) as done:
        main(["config", "show", "--json"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "super-secret-value-123" not in out
    assert '"profile": "local"' in out


def test_cli_invalid_setting_is_a_clear_message(data_dir, monkeypatch, capsys):
    from suuupra.cli import main

    monkeypatch.setenv("SUUUPRA_PROFILE", "staging")
    with pytest.raises(SystemExit) as done:
        main(["config", "show"])
    assert done.value.code == 2
    assert "SUUUPRA_PROFILE" in capsys.readouterr().err
