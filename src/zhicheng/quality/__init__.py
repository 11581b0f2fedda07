"""Data quality (数据质量): rules on data items, runs over dataset versions, reports, correction tasks."""
