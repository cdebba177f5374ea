"""Exports: the client review deck (`deck.py`), and chart images and table spreadsheets
(`files.py`).

No Streamlit here: the dashboard's download buttons, the command line (`python -m exports`), the
benchmark and the tests call the same functions, with the same chart builders (`charts`) and
metrics (`metrics`) as the screen.
"""
