"""The tables in which a build records itself, written by the pipeline and read by the site, and how they
name a source file (file_key), the files of a folder (folder_files) and the files an agency delivered
for a dataset (delivered_files)."""

from pathlib import Path

FILES_TABLE = "build_files"  # one row per source file: size, SHA-256, rows read/published/rejected, notes
SQL_TABLE = "build_sql"  # the SQL each derived table and view is computed with
PROFILE_TABLE = "build_columns"  # one row per column of every table and view: blanks, distinct, min, max
STATE_TABLE = "build_datasets"  # each dataset's fingerprint at its last load and the tables it made
CHANGES_TABLE = "build_changes"  # one row per build and rebuilt table: rows added, changed and removed
SITE_KEY = "(site)"  # build_datasets' row for what is not a dataset: metadata.yml and the code


def folder_files(folder: Path) -> list[Path]:
    """The files of a folder and its sub-folders, hidden ones (and those of hidden folders, such as a
    fetch in progress) left out, in order; a link leading out of the folder is not read (validation
    refuses it)."""
    inside = folder.resolve()
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
        and (not p.is_symlink() or p.resolve().is_relative_to(inside))
    )


def file_key(dataset_name: str, folder: Path, path: Path) -> str:
    """How build_files and the fingerprints name a file: dataset/path in its folder ('./' dropped;
    a file outside the folder by its path as written)."""
    try:
        return f"{dataset_name}/{path.relative_to(folder).as_posix()}"
    except ValueError:
        return f"{dataset_name}/{path.as_posix()}"


def delivered_files(dataset) -> list[tuple[object, Path, str]]:
    """(source, path, name in the dataset's folder) of every file of the dataset's resources present
    here, in the order of the resources: what its page offers as the originals and what a package
    ships. A resource outside the dataset's folder is left out (it has no address under the folder)."""
    result = []
    for source in dataset.sources:
        path = source.path
        paths = folder_files(path) if path.is_dir() else [path] if path.is_file() else []
        for file in paths:
            try:
                result.append((source, file, file.relative_to(dataset.folder).as_posix()))
            except ValueError:
                continue
    return result
