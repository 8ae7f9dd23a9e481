"""Placeholder replaced by the public check page."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
