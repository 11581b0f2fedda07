"""Spark reads the lake: pyspark in local mode loads the Parquet files (hive partitions device_type and date) and
its daily means in Beijing time equal what history.py answers."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta

import pytest

from tests.iot.conftest import bearer, stream
from zhicheng.accounts.service import actor_for
from zhicheng.iot import history, lake

T0 = datetime(2026, 3, 1, 10, tzinfo=UTC)


@pytest.mark.slow
def test_spark_gets_the_daily_means_of_history(client, db, world, settings):
    if shutil.which("java") is None:
        print("skipped: no java on PATH (Spark needs a JVM; Debian: apt-get install openjdk-17-jre-headless)")
        pytest.skip("no java on PATH: Spark needs a JVM")
    pyspark_sql = pytest.importorskip("pyspark.sql", reason="pyspark is not installed (pip install -e .[dev])")
    pm25 = stream(db, world.air, "pm25")
    rows = [[(T0 + timedelta(hours=i)).isoformat(), float((i * 11) % 70) + 0.5] for i in range(96)]
    assert client.post("/api/v1/iot/ingest", headers=bearer(world.air.token),
                       json={"datastream": pm25, "observations": rows}).status_code == 200
    where = lake.open_lake(settings)
    lake.export(db, where)
    span = history.parse_span(interval="day", function="mean", start="2026-03-01", end="2026-03-06")
    want = {t.date().isoformat(): v for t, v in
            history.series(db, where, actor=actor_for(world.admin), datastream_ids=[pm25], span=span)[0]["values"]}

    spark = (pyspark_sql.SparkSession.builder.master("local[1]").appName("zhicheng-lake-test")
             .config("spark.sql.session.timeZone", "Asia/Shanghai").config("spark.ui.enabled", "false")
             .getOrCreate())
    try:
        data = spark.read.parquet(where.path(lake.TABLE))
        assert {"device_type", "date"} <= set(data.columns)
        data.createOrReplaceTempView("observations")
        got = {str(day): mean for day, mean in spark.sql(
            "SELECT to_date(phenomenon_time) AS day, avg(result_number) AS mean FROM observations "
            f"WHERE datastream_id = {pm25} AND device_type = 'test_air' GROUP BY 1 ORDER BY 1").collect()}
        partitions = {str(r[0]) for r in spark.sql("SELECT DISTINCT `date` FROM observations").collect()}
    finally:
        spark.stop()
    assert got.keys() == want.keys() == partitions
    for day, mean in want.items():
        assert got[day] == pytest.approx(mean, rel=1e-12)
