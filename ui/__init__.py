"""Streamlit widgets and plotly figures shared by the pages (the only UI code)."""
