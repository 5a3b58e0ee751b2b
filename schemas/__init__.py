"""The schemas, shipped as package data: this module only says where they are."""

from pathlib import Path

SCHEMA_ROOT = Path(__file__).resolve().parent
