"""The 100 x 150 mm thermal waybill label: one layout rendered as ZPL, PDF and PNG."""
