"""Baseline of ``create_customer``: plain FastAPI + psycopg_pool, one INSERT ... RETURNING per request.

Served by uvicorn with one worker, like ``omnibus serve``:
    BENCH_RAW_DATABASE_URL=postgresql://... uvicorn --app-dir bench/baselines raw_insert:app
"""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool
from pydantic import BaseModel

DDL = """
CREATE TABLE IF NOT EXISTS customers (
    customer_id BIGSERIAL PRIMARY KEY,
    customer_name VARCHAR(255) NOT NULL,
    customer_status VARCHAR(20) NOT NULL DEFAULT 'Open',
    contact JSONB,
    site JSONB,
    created TIMESTAMPTZ NOT NULL DEFAULT now()
)
"""
INSERT = (
    "INSERT INTO customers (customer_name, contact, site) VALUES (%s, %s, %s) "
    "RETURNING customer_id, customer_status, created"
)

pool = AsyncConnectionPool(os.environ["BENCH_RAW_DATABASE_URL"], min_size=10, max_size=10, open=False)


class CustomerIn(BaseModel):
    customer_name: str
    contact: dict[str, Any] | None = None
    site: dict[str, Any] | None = None


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    await pool.open(wait=True)
    async with pool.connection() as conn:
        await conn.execute(DDL)
    yield
    await pool.close()


app = FastAPI(lifespan=lifespan)


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.put("/crm/customer/")
async def create_customer(body: CustomerIn) -> dict[str, Any]:
    async with pool.connection() as conn:
        cur = await conn.execute(INSERT, (body.customer_name, Jsonb(body.contact), Jsonb(body.site)))
        customer_id, status, created = await cur.fetchone()  # type: ignore[misc]
    return {
        "customer_id": customer_id,
        "customer_name": body.customer_name,
        "customer_status": status,
        "created": created,
        "contact": body.contact,
        "site": body.site,
    }
