"""The embedded PostgreSQL is sized for the machine, and its own config file is left alone."""

from __future__ import annotations

from pathlib import Path

from config.embedded import CONF_FILE, INCLUDE_LINE, embedded_config_write, embedded_settings

GIB = 1024**3


def test_a_24_gb_two_core_machine_gets_room_for_a_million_face_index_build() -> None:
    sized = embedded_settings(memory_bytes=24 * GIB, cores=2)
    assert sized["shared_buffers"] == "1536MB"
    assert sized["maintenance_work_mem"] == "2048MB"
    assert sized["max_parallel_maintenance_workers"] == "1"
    assert sized["effective_cache_size"] == "12288MB"


def test_a_small_machine_keeps_postgresql_defaults_as_the_floor() -> None:
    sized = embedded_settings(memory_bytes=1 * GIB, cores=1)
    assert sized["shared_buffers"] == "128MB"
    assert sized["maintenance_work_mem"] == "128MB"
    assert sized["work_mem"] == "4MB"
    assert sized["max_parallel_maintenance_workers"] == "0"


def test_the_settings_are_included_once_and_rewritten_only_when_they_change(
    tmp_path: Path,
) -> None:
    main = tmp_path / "postgresql.conf"
    main.write_text("port = 5432\n")
    assert embedded_config_write(tmp_path) is True
    assert embedded_config_write(tmp_path) is False
    assert main.read_text().count(INCLUDE_LINE) == 1
    assert main.read_text().startswith("port = 5432\n")
    assert "maintenance_work_mem" in (tmp_path / CONF_FILE).read_text()


def test_nothing_is_written_before_the_data_directory_exists(tmp_path: Path) -> None:
    assert embedded_config_write(tmp_path) is False
    assert not (tmp_path / CONF_FILE).exists()
