"""Upload: drop a client's export files (or a zip of the export folder), see what they are and what
would load, then load them, with the same loader as `python -m loaders ingest`."""
import tempfile
from pathlib import Path

import streamlit as st

import dashboard
from dashboard import editing, upload
from exports.files import table_csv
from loaders.ingest import UPLOAD_MAX_MB, LoadError

filters = dashboard.page("Upload", role="csm")
client = filters.client
editing.show_saved()
st.caption(f"Files load into **{client}** (choose another client in the sidebar). Loading the same file again "
           "changes nothing; a newer export replaces the rows it carries.")
files = st.file_uploader("Export files, or a zip of an export folder", accept_multiple_files=True,
                         type=upload.UPLOAD_TYPES,
                         help=f"Up to {UPLOAD_MAX_MB} MB in all (unzipped). A larger export loads from the command line, "
                              "in any size: `python -m loaders ingest FOLDER --client NAME`.")
fmt = st.selectbox("Format", upload.FORMAT_CHOICES, key="upload.format",
                   help="auto recognises the import template, Greenhouse, Bullhorn (REST JSON or DataLoader CSV) and Lever "
                        "exports and recruiters' tracker workbooks by their content; mapped reads any other ATS's CSV "
                        "or XLSX through a column mapping made below.")
if not files:
    st.info("Drop files above, several at once, or a zip of an export folder. Recognised: the import template (CSV "
            "or XLSX); Greenhouse application_stages and application_history (with job_stage), Harvest's JSON "
            "(jobs, applications, activity feeds); Bullhorn's entity files (REST JSON or DataLoader CSV); a Lever "
            "export folder (its JSON files); the tables of a Greenhouse or Lever warehouse connector (Fivetran, "
            "Airbyte: CSV or Parquet); Airbyte or Singer record streams (JSON Lines); recruiters' tracker workbooks "
            "(requisition tracker, submittal log, commitments); and any other CSV or XLSX export through a column "
            "mapping.")
    st.stop()

with tempfile.TemporaryDirectory(prefix="recruiting-upload-") as folder:
    try:
        paths = upload.save_uploads(files, Path(folder))
    except upload.UploadError as exc:
        st.error(f"{exc}. Nothing was loaded.")
        st.stop()
    mapping = None
    if fmt == "mapped":
        st.subheader("Column mapping")
        try:
            headers = upload.first_headers(paths)
        except LoadError as exc:
            st.error(f"{exc}. Nothing was loaded.")
            st.stop()
        mapping = upload.mapping_editor(headers, client)
        if mapping is None:
            st.stop()

    # Rows of a client the user may not change are rejected as those of a client that does not exist.
    editable = dashboard.scope().editable
    allowed = None if editable is None else set(editable)
    st.subheader("Dry run: what would load")
    reports, preview, unseen = upload.dry_run(paths, client, fmt, mapping, allowed_clients=allowed)
    st.markdown("\n".join(upload.report_lines(reports)))
    st.dataframe(upload.report_table(reports), hide_index=True, width="stretch")
    unmapped = upload.unmapped_words(reports)
    if not unmapped.empty:
        st.warning(f"Stage word(s) not in {client}'s dictionary: {', '.join(unmapped['stage_word'])}. They load as "
                   "unmapped and count as no stage until mapped: map them here (the dry run reruns with them), or "
                   "later on the Data page.")
        editing.map_stage_words(client, unmapped)
    for kind, rows in preview.items():
        shown = "its one row as it" if len(rows) == 1 else f"the first {len(rows)} rows as they"
        st.markdown(f"**{upload.VALUE_WORDS['kind'][kind]}**: {shown} would be stored")
        upload.show_table(rows)
    if line := upload.unseen_owners_line(unseen, client):
        st.caption(dashboard.as_text(line))

    if st.button("Load into the database", type="primary", disabled=all(r.error for r in reports)):
        try:
            loaded = upload.load(paths, client, fmt, mapping, allowed_clients=allowed)
        except LoadError as exc:
            st.error(f"{exc}.")
            st.stop()
        (st.warning if any(r.error for r in loaded) else st.success)(upload.load_summary(loaded))
        st.markdown("\n".join(upload.report_lines(loaded, loaded=True)))
        st.dataframe(upload.report_table(loaded, loaded=True), hide_index=True, width="stretch")
        rejected = upload.rejected_of(loaded, dashboard.data_quality(filters)["rejected"])
        if not rejected.empty:
            st.download_button(f"Download the {len(rejected)} rejected row(s) (CSV)",
                               dashboard.audited(lambda: table_csv(rejected), "rejected rows", filters,
                                                 file=f"rejected-{client}.csv"),
                               file_name=f"rejected-{client}.csv", mime="text/csv")
