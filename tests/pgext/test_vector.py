"""The `vector` stand-in (pgext/mg_vector) on a real server, created by a non-superuser as on Supabase.

The statements are the ones real Supabase migrations run (chatbot-ui, Quivr in shared/corpus), plus
the inputs a migration or a hostile PR could feed it: every bad input must be one clear error and the
server must stay up (each test ends with the same connection still answering).
"""

from __future__ import annotations

import math
import random
import struct

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

Conn = psycopg.Connection[tuple[object, ...]]


def one(conn: Conn, sql: str, params: tuple[object, ...] | None = None) -> object:
    row = conn.execute(sql, params).fetchone()
    assert row is not None
    return row[0]


def error(conn: Conn, sql: str) -> psycopg.Error:
    with pytest.raises(psycopg.Error) as caught:
        conn.execute(sql)
    assert one(conn, "select 1") == 1  # the backend survived
    return caught.value


# --- what the corpus migrations do -------------------------------------------------------------


def test_chatbot_ui_file_items_replays(migrator_db: str, vector_ext: str) -> None:
    """chatbot-ui: extension in schema `extensions`, vector(384)/(1536) columns, hnsw cosine indexes,
    plpgsql match functions ordering by <=>."""
    with psycopg.connect(migrator_db, autocommit=True) as conn:
        conn.execute("create schema extensions")
        conn.execute(f"create extension {vector_ext} with schema extensions")
        conn.execute("set search_path = public, extensions")
        conn.execute(
            """create table file_items (
                 id bigserial primary key,
                 content TEXT NOT NULL,
                 local_embedding vector(384), -- 384 works for local w/ Xenova/all-MiniLM-L6-v2
                 openai_embedding vector(1536), -- 1536 for OpenAI
                 tokens INT NOT NULL)"""
        )
        conn.execute(
            "CREATE INDEX file_items_embedding_idx ON file_items USING hnsw (openai_embedding vector_cosine_ops)"
        )
        conn.execute(
            "CREATE INDEX file_items_local_embedding_idx ON file_items USING hnsw (local_embedding vector_cosine_ops)"
        )
        conn.execute(
            """create function match_file_items_openai (
                 query_embedding vector(1536), match_count int DEFAULT null
               ) returns table (id bigint, content TEXT, similarity float)
               language plpgsql as $$
               #variable_conflict use_column
               begin
                 return query
                 select id, content, 1 - (file_items.openai_embedding <=> query_embedding) as similarity
                 from file_items
                 order by file_items.openai_embedding <=> query_embedding
                 limit match_count;
               end;
               $$"""
        )
        conn.execute(
            "insert into file_items (content, openai_embedding, local_embedding, tokens) values "
            "('a', array_fill(0.5::real, ARRAY[1536])::vector, array_fill(1, ARRAY[384])::vector, 1), "
            "('b', array_fill(-0.5::real, ARRAY[1536])::vector, null, 1)"
        )
        rows = conn.execute(
            "select content, similarity from match_file_items_openai(array_fill(2, ARRAY[1536])::vector, 2)"
        ).fetchall()
        assert [r[0] for r in rows] == ["a", "b"]
        assert rows[0][1] == pytest.approx(1.0)
        assert rows[1][1] == pytest.approx(-1.0)

        wrong = error(conn, "insert into file_items (content, openai_embedding, tokens) values ('c', '[1,2,3]', 1)")
        assert "vector has 3 dimensions, but vector(1536) expects 1536" in str(wrong)
        wrong = error(conn, "select match_file_items_openai(array_fill(1, ARRAY[384])::vector(384), 1)")
        assert "vectors have different dimensions: 1536 and 384" in str(wrong)


def test_quivr_statements_replay(migrator_db: str, vector_ext: str) -> None:
    """Quivr: `create extension if not exists ... with schema "public"`, a bare `vector` argument,
    and a column re-typed from vector(1536) to vector with a USING cast."""
    with psycopg.connect(migrator_db, autocommit=True) as conn:
        conn.execute(f'create extension if not exists "{vector_ext}" with schema "public"')
        conn.execute(f'create extension if not exists "{vector_ext}" with schema "public"')
        conn.execute('create table "public"."vectors" (id bigserial primary key, "embedding" vector(1536))')
        conn.execute(
            """CREATE OR REPLACE FUNCTION public.match_vectors(query_embedding vector, match_count integer)
               RETURNS TABLE(id bigint, embedding vector, similarity double precision)
               LANGUAGE plpgsql AS $function$
               #variable_conflict use_column
               BEGIN
                 RETURN QUERY
                 SELECT vectors.id, vectors.embedding, 1 - (vectors.embedding <=> query_embedding) AS similarity
                 FROM vectors ORDER BY vectors.embedding <=> query_embedding LIMIT match_count;
               END;
               $function$"""
        )
        conn.execute("insert into vectors (embedding) select array_fill(1, ARRAY[1536])")
        conn.execute('alter table "public"."vectors" alter column "embedding" set not null')
        conn.execute(
            'alter table "public"."vectors" alter column "embedding" set data type vector using "embedding"::vector'
        )
        column_type = "select format_type(atttypid, atttypmod) from pg_attribute where attname = 'embedding'"
        assert one(conn, column_type + " and attrelid = 'vectors'::regclass") == "vector"
        similarity = one(conn, "select similarity from match_vectors(array_fill(3, ARRAY[1536])::vector, 1)")
        assert similarity == pytest.approx(1.0)
        conn.execute("insert into vectors (embedding) values ('[1,2,3]')")  # a bare vector takes any size


def test_extension_is_what_the_dry_run_lists(migrator_db: str, vector_ext: str) -> None:
    with psycopg.connect(migrator_db, autocommit=True) as conn:
        comment, version = conn.execute(
            "select comment, default_version from pg_available_extensions where name = %s", (vector_ext,)
        ).fetchone() or (None, None)
        assert str(comment).startswith("Migration Guard stand-in:")
        assert version == "0.8.0"
        conn.execute(f"create extension {vector_ext}")  # as a non-superuser: trusted
        assert one(conn, "select rolsuper from pg_roles where rolname = current_user") is False


# --- text I/O and typmods ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("literal", "shown"),
    [
        ("[1,2,3]", "[1,2,3]"),
        (" [ 1.5 , -2e3,3 ] ", "[1.5,-2000,3]"),
        ("[0.1,-0]", "[0.1,-0]"),
        ("[3.4028235e38]", "[3.4028235e+38]"),
        ("[1e-45]", "[1e-45]"),
    ],
)
def test_text_round_trip(vector_db: Conn, literal: str, shown: str) -> None:
    assert one(vector_db, "select %s::vector::text", (literal,)) == shown
    assert one(vector_db, "select %s::vector::text::vector = %s::vector", (literal, literal)) is True


@pytest.mark.parametrize(
    ("literal", "message"),
    [
        ("", 'invalid input syntax for type vector: ""'),
        ("1,2", 'invalid input syntax for type vector: "1,2"'),
        ("[", 'invalid input syntax for type vector: "["'),
        ("[1,2", 'invalid input syntax for type vector: "[1,2"'),
        ("[1,,2]", 'invalid input syntax for type vector: "[1,,2]"'),
        ("[1 2]", 'invalid input syntax for type vector: "[1 2]"'),
        ("[abc]", 'invalid input syntax for type vector: "[abc]"'),
        ("[1,2]x", 'invalid input syntax for type vector: "[1,2]x"'),
        ("[]", "a vector needs at least 1 dimension"),
        ("[NaN]", "NaN is not allowed in a vector"),
        ("[1,inf]", "infinite values are not allowed in a vector"),
        ("[-Infinity]", "infinite values are not allowed in a vector"),
        ("[1e39]", '"1e39" is out of range for a vector element (real)'),
        ("[" + ",".join(["1"] * 16001) + "]", "a vector can have at most 16000 dimensions"),
    ],
)
def test_bad_text_is_one_clear_error(vector_db: Conn, literal: str, message: str) -> None:
    err = error(vector_db, f"select '{literal}'::vector")
    assert message in str(err).splitlines()[0]


# Text that looks like vectors, and text that does not: every answer is a value or one data error.
VECTORISH = st.one_of(
    st.text(max_size=40).filter(lambda t: "\x00" not in t),
    st.lists(
        st.one_of(
            st.floats(allow_nan=True, allow_infinity=True, width=64).map(repr),
            st.sampled_from(["", " ", "1e", "-", "0x1p3", "nan", "1e400", "1e-400", ",", "]", "[", "+.5"]),
        ),
        max_size=8,
    ).map(lambda xs: "[" + ",".join(xs) + "]"),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(literal=VECTORISH)
def test_any_text_is_a_vector_or_one_data_error(vector_db: Conn, literal: str) -> None:
    for typ in ("vector", "halfvec"):
        try:
            shown = one(vector_db, f"select %s::{typ}::text", (literal,))
        except psycopg.errors.DataError:
            assert one(vector_db, "select 1") == 1
        else:
            assert isinstance(shown, str)
            assert one(vector_db, f"select %s::{typ} = %s::{typ}", (shown, literal)) is True


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    dim=st.integers(min_value=-3, max_value=20),
    reserved=st.sampled_from([0, 0, 0, 1]),
    body=st.binary(max_size=90),
)
def test_any_binary_is_a_value_or_one_error(vector_db: Conn, dim: int, reserved: int, body: bytes) -> None:
    """Forged binary input (COPY ... FORMAT binary) for both types: stored, or refused cleanly."""
    vector_db.execute("create table if not exists bin_in (v vector, h halfvec)")
    payload = struct.pack("!hh", dim, reserved) + body
    header = b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0)
    for column in ("v", "h"):
        row = struct.pack("!hi", 1, len(payload)) + payload
        try:
            with vector_db.cursor() as cur, cur.copy(f"copy bin_in ({column}) from stdin (format binary)") as copy:
                copy.write(header + row + struct.pack("!h", -1))
        except psycopg.Error as err:
            # Data errors, or PostgreSQL's own "insufficient data left in message" (08P01).
            assert err.sqlstate is not None and (err.sqlstate[:2] == "22" or err.sqlstate == "08P01"), err.sqlstate
        assert one(vector_db, "select 1") == 1
    vector_db.execute("select v::text, h::text from bin_in")


def test_largest_vector_is_accepted(vector_db: Conn) -> None:
    literal = "[" + ",".join(["1"] * 16000) + "]"
    assert one(vector_db, "select vector_dims(%s::vector(16000))", (literal,)) == 16000


def test_typmod_checked_on_cast_insert_and_update(vector_db: Conn) -> None:
    assert "vector has 3 dimensions, but vector(2) expects 2" in str(error(vector_db, "select '[1,2,3]'::vector(2)"))
    assert "expects 2" in str(error(vector_db, "select '[1,2,3]'::vector::vector(2)"))
    vector_db.execute("create table t (e vector(3))")
    vector_db.execute("insert into t values ('[1,2,3]'), (ARRAY[4,5,6])")
    assert "vector has 2 dimensions, but vector(3) expects 3" in str(error(vector_db, "insert into t values ('[1,2]')"))
    assert "expects 3" in str(error(vector_db, "update t set e = '[1,2,3,4]'"))
    assert "expects 3" in str(error(vector_db, "insert into t values (ARRAY[1.5,2.5]::real[])"))
    assert one(vector_db, "select count(*) from t") == 2


@pytest.mark.parametrize(
    ("typ", "message"),
    [
        ("vector(0)", "vector(0): the number of dimensions must be at least 1"),
        ("vector(-5)", "vector(-5): the number of dimensions must be at least 1"),
        ("vector(16001)", "vector(16001): the number of dimensions cannot exceed 16000"),
        ("vector(3,4)", "type vector takes one modifier"),
    ],
)
def test_bad_typmod(vector_db: Conn, typ: str, message: str) -> None:
    assert message in str(error(vector_db, f"create table bad (e {typ})"))


# --- casts -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "array", ["ARRAY[1,2,3]", "ARRAY[1,2,3]::real[]", "ARRAY[1,2,3]::float8[]", "ARRAY[1.0,2,3]::numeric[]"]
)
def test_array_casts(vector_db: Conn, array: str) -> None:
    assert one(vector_db, f"select ({array})::vector(3)::text") == "[1,2,3]"


def test_vector_to_real_array(vector_db: Conn) -> None:
    assert one(vector_db, "select '[1.5,2,3]'::vector::real[]") == [1.5, 2.0, 3.0]
    assert one(vector_db, "select pg_typeof('[1]'::vector::real[])::text") == "real[]"


@pytest.mark.parametrize(
    ("array", "message"),
    [
        ("ARRAY[1,NULL]::int[]", "a vector cannot contain NULL (array element 2 is NULL)"),
        ("'{}'::int[]", "a vector needs at least 1 dimension"),
        ("'{{1,2},{3,4}}'::int[]", "only a one-dimensional array can become a vector"),
        ("ARRAY['NaN']::float8[]", "NaN is not allowed in a vector"),
        ("ARRAY['Infinity']::real[]", "infinite values are not allowed in a vector"),
        ("ARRAY[1e300]::float8[]", "vector element out of range"),
        ("ARRAY['NaN']::numeric[]", "NaN is not allowed in a vector"),
        ("ARRAY['a']::text[]", "cannot cast type text[] to vector"),
        ("array_fill(1, ARRAY[16001])", "a vector can have at most 16000 dimensions"),
    ],
)
def test_bad_array_casts(vector_db: Conn, array: str, message: str) -> None:
    assert message in str(error(vector_db, f"select ({array})::vector"))


# --- operators, functions, aggregates ----------------------------------------------------------


def test_distances_and_functions(vector_db: Conn) -> None:
    row = vector_db.execute(
        "select '[1,2]'::vector <-> '[4,6]', '[1,0]'::vector <=> '[0,1]', '[1,2]'::vector <#> '[3,4]',"
        " '[1,2]'::vector <+> '[3,4]', l2_distance('[0,0]'::vector, '[3,4]'),"
        " cosine_distance('[1,1]'::vector, '[2,2]'),"
        " inner_product('[1,2]'::vector, '[3,4]'), vector_dims('[1,2,3]'::vector), vector_norm('[3,4]'),"
        " l2_normalize('[3,4]'::vector)::text, subvector('[1,2,3,4]'::vector, 2, 2)::text"
    ).fetchone()
    assert row == (5.0, 1.0, -11.0, 4.0, 5.0, pytest.approx(0.0), 11.0, 3, 5.0, "[0.6,0.8]", "[2,3]")
    assert math.isnan(float(str(one(vector_db, "select '[0,0]'::vector <=> '[1,1]'"))))
    assert "vectors have different dimensions: 2 and 3" in str(error(vector_db, "select '[1,2]'::vector <-> '[1,2,3]'"))


def test_arithmetic(vector_db: Conn) -> None:
    row = vector_db.execute(
        "select ('[1,2]'::vector + '[3,4]')::text, ('[1,2]'::vector - '[3,4]')::text,"
        " ('[1,2]'::vector * '[3,4]')::text, ('[1]'::vector || '[2]')::text"
    ).fetchone()
    assert row == ("[4,6]", "[-2,-2]", "[3,8]", "[1,2]")
    assert "vector element out of range" in str(error(vector_db, "select '[3e38]'::vector + '[3e38]'"))


def test_aggregates(vector_db: Conn) -> None:
    vector_db.execute("create table t (e vector(2))")
    vector_db.execute("insert into t values ('[1,2]'), ('[3,4]'), (null)")
    assert vector_db.execute("select avg(e)::text, sum(e)::text from t").fetchone() == ("[2,3]", "[4,6]")
    assert vector_db.execute("select avg(e), sum(e) from t where false").fetchone() == (None, None)
    mixed = "select avg(e) from (values ('[1,2]'::vector), ('[1,2,3]')) v(e)"
    assert "vectors have different dimensions" in str(error(vector_db, mixed))
    # The state functions are callable: a forged state is refused, not trusted.
    assert "invalid state for avg(vector)" in str(error(vector_db, "select vector_avg('{1,NULL}'::float8[])"))
    assert "invalid state for avg(vector)" in str(error(vector_db, "select vector_avg('{{1}}'::float8[])"))


def test_btree_ordering_and_unique_index(vector_db: Conn) -> None:
    vector_db.execute("create table t (e vector unique)")
    vector_db.execute("insert into t values ('[2]'), ('[1,5]'), ('[1]'), ('[1,2]')")
    assert [r[0] for r in vector_db.execute("select e::text from t order by t.e")] == ["[1]", "[1,2]", "[1,5]", "[2]"]
    with pytest.raises(psycopg.errors.UniqueViolation):
        vector_db.execute("insert into t values ('[1,2]')")


def test_binary_copy_round_trip_and_forged_binary(vector_db: Conn) -> None:
    vector_db.execute("create table src (e vector(3))")
    vector_db.execute("create table dst (e vector(3))")
    vector_db.execute("insert into src values ('[1,-2.5,3]')")
    with vector_db.cursor() as cur:
        with cur.copy("copy src to stdout (format binary)") as copy:
            data = b"".join(bytes(chunk) for chunk in copy)
        with cur.copy("copy dst from stdin (format binary)") as copy:
            copy.write(data)
    assert one(vector_db, "select e::text from dst") == "[1,-2.5,3]"

    def copy_in(payload: bytes) -> str:
        header = b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0)
        row = struct.pack("!hi", 1, len(payload)) + payload
        with (
            pytest.raises(psycopg.Error) as caught,
            vector_db.cursor() as cur,
            cur.copy("copy dst from stdin (format binary)") as copy,
        ):
            copy.write(header + row + struct.pack("!h", -1))
        return str(caught.value)

    assert "vector can have at most 16000" in copy_in(struct.pack("!hh", 20000, 0))
    assert "at least 1 dimension" in copy_in(struct.pack("!hh", 0, 0))
    assert "reserved field must be 0" in copy_in(struct.pack("!hh", 1, 7) + struct.pack("!f", 1))
    assert "NaN is not allowed" in copy_in(struct.pack("!hh", 1, 0) + struct.pack("!f", math.nan))
    assert "insufficient data" in copy_in(struct.pack("!hh", 3, 0) + struct.pack("!f", 1))
    assert "expects 3" in copy_in(struct.pack("!hh", 1, 0) + struct.pack("!f", 1))
    assert one(vector_db, "select count(*) from dst") == 1


# --- index access methods ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "using",
    [
        "hnsw (e vector_cosine_ops)",
        "hnsw (e vector_l2_ops) with (m = 16, ef_construction = 64)",
        "hnsw (e vector_ip_ops) with (m = 2, ef_construction = 1000)",
        "hnsw (e vector_l1_ops)",
        "hnsw (e)",
        "ivfflat (e vector_l2_ops) with (lists = 100)",
        "ivfflat (e vector_cosine_ops) with (lists = 1)",
        "ivfflat (e vector_ip_ops) with (lists = 32768)",
        "ivfflat ((e::vector(3)) vector_cosine_ops)",
    ],
)
def test_vector_indexes_are_accepted(vector_db: Conn, using: str) -> None:
    vector_db.execute("create table t (id int, e vector(3))")
    vector_db.execute("insert into t select i, array[i, i, 1] from generate_series(1, 50) i")
    vector_db.execute(f"create index t_e_idx on t using {using}")
    vector_db.execute("insert into t values (51, '[0,0,1]')")
    vector_db.execute("delete from t where id < 10")
    vector_db.execute("vacuum analyze t")
    vector_db.execute("reindex index t_e_idx")
    assert one(vector_db, "select count(*) from t") == 42


@pytest.mark.parametrize(
    ("using", "message"),
    [
        ("hnsw (e vector_l2_ops) with (m = 1)", 'value 1 out of bounds for option "m"'),
        ("hnsw (e vector_l2_ops) with (m = 101)", 'value 101 out of bounds for option "m"'),
        ("hnsw (e vector_l2_ops) with (ef_construction = 3)", 'value 3 out of bounds for option "ef_construction"'),
        ("hnsw (e vector_l2_ops) with (m = 48)", "hnsw: ef_construction (64) must be at least 2 * m (96)"),
        ("hnsw (e vector_l2_ops) with (lists = 10)", 'unrecognized parameter "lists"'),
        ("ivfflat (e vector_l2_ops) with (lists = 0)", 'value 0 out of bounds for option "lists"'),
        ("ivfflat (e vector_l2_ops) with (lists = 32769)", 'value 32769 out of bounds for option "lists"'),
        ("ivfflat (e vector_l2_ops) with (m = 16)", 'unrecognized parameter "m"'),
        ("hnsw (e text_ops)", 'operator class "text_ops" does not exist for access method "hnsw"'),
        ("hnsw (id, e)", 'access method "hnsw" does not support multicolumn indexes'),
    ],
)
def test_bad_index_definitions(vector_db: Conn, using: str, message: str) -> None:
    vector_db.execute("create table t (id int, e vector(3))")
    assert message in str(error(vector_db, f"create index on t using {using}"))


def test_index_needs_a_sized_column_within_limits(vector_db: Conn) -> None:
    vector_db.execute("create table t (bare vector, wide vector(2001), ok vector(2000))")
    for am in ("hnsw", "ivfflat"):
        msg = str(error(vector_db, f"create index on t using {am} (bare vector_l2_ops)"))
        assert f"{am} index needs a column with a fixed number of dimensions, like vector(1536)" in msg
        msg = str(error(vector_db, f"create index on t using {am} (wide vector_l2_ops)"))
        assert f"{am} index supports at most 2000 dimensions for vector, the column has 2001" in msg
        vector_db.execute(f"create index on t using {am} (ok vector_l2_ops)")


def test_concurrent_index_builds(vector_db: Conn) -> None:
    """The dry run's favourite form: CREATE INDEX CONCURRENTLY and REINDEX CONCURRENTLY."""
    vector_db.execute("create table t (id int, e vector(3))")
    vector_db.execute("insert into t select i, array[i, i, 1] from generate_series(1, 100) i")
    vector_db.execute("create index concurrently t_hnsw on t using hnsw (e vector_cosine_ops) with (m = 24)")
    vector_db.execute("create index concurrently t_ivf on t using ivfflat (e vector_l2_ops) with (lists = 5)")
    vector_db.execute("reindex index concurrently t_hnsw")
    valid = vector_db.execute("select bool_and(indisvalid) from pg_index where indrelid = 't'::regclass").fetchone()
    assert valid == (True,)
    assert one(vector_db, "select reloptions::text from pg_class where relname = 't_hnsw'") == "{m=24}"


def test_planner_never_uses_the_empty_index(vector_db: Conn) -> None:
    vector_db.execute("create table t (id int, e vector(2))")
    vector_db.execute("insert into t select i, array[i, 1] from generate_series(1, 200) i")
    vector_db.execute("create index on t using hnsw (e vector_l2_ops)")
    vector_db.execute("create index on t using ivfflat (e vector_l2_ops)")
    vector_db.execute("analyze t")
    vector_db.execute("set enable_seqscan = off")  # people do this to force pgvector's index
    query = "select id from t order by e <-> '[3,1]' limit 2"
    plan = "\n".join(str(r[0]) for r in vector_db.execute(f"explain {query}"))
    assert "Seq Scan" in plan and "Index" not in plan
    assert [r[0] for r in vector_db.execute(query)] in ([3, 2], [3, 4])


def test_search_settings_exist_with_their_ranges(vector_db: Conn) -> None:
    one(vector_db, "select '[1]'::vector")  # loads the library, which defines the settings
    vector_db.execute("set hnsw.ef_search = 100")
    vector_db.execute("set ivfflat.probes = 10")
    vector_db.execute("set hnsw.iterative_scan = relaxed_order")
    assert one(vector_db, "show hnsw.ef_search") == "100"
    assert 'outside the valid range for parameter "hnsw.ef_search" (1 .. 1000)' in str(
        error(vector_db, "set hnsw.ef_search = 0")
    )
    assert 'invalid value for parameter "ivfflat.iterative_scan"' in str(
        error(vector_db, "set ivfflat.iterative_scan = strict_order")
    )


# --- halfvec -----------------------------------------------------------------------------------


def test_halfvec_rounds_like_ieee_binary16(vector_db: Conn) -> None:
    """Our float -> binary16 conversion against Python's own (struct 'e': round half to even)."""
    rng = random.Random(20240108)
    values = [0.1, 65504.0, -65504.0, 1e-8, 6e-8, 2.0**-24, 2.0**-25 * 1.0001, 2.0**-14, 1.0 + 2.0**-11, 3e-5]
    values += [rng.uniform(-70000, 70000) for _ in range(1000)]
    values += [rng.uniform(-1, 1) * 10.0 ** rng.randint(-9, 4) for _ in range(3000)]
    values = [v for v in values if abs(v) < 65504 or abs(v) == 65504]
    floats = [struct.unpack("!f", struct.pack("!f", v))[0] for v in values]  # what the server parses
    literal = "[" + ",".join(repr(f) for f in floats) + "]"
    sent = one(vector_db, "select halfvec_send(%s::halfvec)", (literal,))
    assert isinstance(sent, bytes)
    assert sent[4:] == b"".join(struct.pack("!e", f) for f in floats)


def test_halfvec_statements(vector_db: Conn) -> None:
    """What a migration for 3072-wide embeddings does: a vector(3072) column indexed as halfvec."""
    vector_db.execute("create table docs (id int, embedding vector(3072), h halfvec(3))")
    vector_db.execute("create index on docs using hnsw ((embedding::halfvec(3072)) halfvec_cosine_ops) with (m = 16)")
    vector_db.execute("create index on docs using ivfflat (h halfvec_l2_ops) with (lists = 10)")
    vector_db.execute("create index on docs using hnsw (h halfvec_ip_ops)")
    vector_db.execute("insert into docs values (1, array_fill(1, ARRAY[3072]), '[1,2,3]'), (2, null, ARRAY[3,2,1])")
    query = (
        "select id from docs order by embedding::halfvec(3072) <=> array_fill(1, ARRAY[3072])::halfvec(3072) limit 1"
    )
    assert one(vector_db, query) == 1
    row = vector_db.execute(
        "select h::text, h::vector::text, h::real[], vector_dims(h), l2_norm('[3,4]'::halfvec),"
        " ('[1,2]'::halfvec <-> '[4,6]'), (avg(h) over ())::text, (sum(h) over ())::text from docs order by id limit 1"
    ).fetchone()
    assert row == ("[1,2,3]", "[1,2,3]", [1.0, 2.0, 3.0], 3, 5.0, 5.0, "[2,2,2]", "[4,4,4]")
    assert one(vector_db, "select '[0.1]'::halfvec::text") == "[0.099975586]"


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("select '[70000]'::halfvec", "70000 is out of range for a halfvec element (at most 65504 in magnitude)"),
        ("select '[65520]'::halfvec", "65520 is out of range for a halfvec element"),
        ("select '[60000]'::halfvec + '[60000]'", "120000 is out of range for a halfvec element"),
        ("select '[1,2]'::halfvec(3)", "halfvec has 2 dimensions, but halfvec(3) expects 3"),
        ("select 'x'::halfvec", 'invalid input syntax for type halfvec: "x"'),
        ("select '[NaN]'::halfvec", "NaN is not allowed in a vector"),
        ("select halfvec_recv(null, 0, -1)", "function halfvec_recv(unknown, integer, integer) does not exist"),
        ("create table w (h halfvec(16001))", "halfvec(16001): the number of dimensions cannot exceed 16000"),
    ],
)
def test_halfvec_bad_input(vector_db: Conn, sql: str, message: str) -> None:
    assert message in str(error(vector_db, sql))


def test_halfvec_index_limit_is_4000(vector_db: Conn) -> None:
    vector_db.execute("create table w (ok halfvec(4000), wide halfvec(4001))")
    vector_db.execute("create index on w using hnsw (ok halfvec_l2_ops)")
    msg = str(error(vector_db, "create index on w using hnsw (wide halfvec_l2_ops)"))
    assert "hnsw index supports at most 4000 dimensions for halfvec, the column has 4001" in msg


def test_halfvec_forged_binary(vector_db: Conn) -> None:
    vector_db.execute("create table dst (h halfvec)")
    header = b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0)
    for payload, message in [
        (struct.pack("!hhH", 1, 0, 0x7C00), "infinite values are not allowed"),
        (struct.pack("!hhH", 1, 0, 0x7E00), "NaN is not allowed"),
        (struct.pack("!hhH", 2, 0, 0x3C00), "insufficient data"),
    ]:
        row = struct.pack("!hi", 1, len(payload)) + payload
        with (
            pytest.raises(psycopg.Error) as caught,
            vector_db.cursor() as cur,
            cur.copy("copy dst from stdin (format binary)") as copy,
        ):
            copy.write(header + row + struct.pack("!h", -1))
        assert message in str(caught.value)
    assert one(vector_db, "select count(*) from dst") == 0
