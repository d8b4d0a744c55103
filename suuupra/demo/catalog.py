"""The demo course catalog.

Programming courses are built from real chapters of the Python 3.11
documentation (the same pages the crawler indexes), so a lesson's ``doc_path``
links it to real course material for the tutor and search. Mathematics courses
use standard syllabus topics. The catalog is static data, not read from disk,
so the demo world is identical on every machine.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# (title, cluster, level, tags, [(lesson title, python-docs path)])
PROGRAMMING: list[tuple[str, str, str, list[str], list[tuple[str, str]]]] = [
    ("The Python Tutorial: First Steps", "python-basics", "beginner", ["python", "basics"], [
        ("Whetting Your Appetite", "tutorial/appetite.html"),
        ("Using the Python Interpreter", "tutorial/interpreter.html"),
        ("An Informal Introduction to Python", "tutorial/introduction.html"),
        ("More Control Flow Tools", "tutorial/controlflow.html"),
        ("Data Structures", "tutorial/datastructures.html"),
    ]),
    ("The Python Tutorial: Modules, I/O and Errors", "python-basics", "beginner", ["python", "basics"], [
        ("Modules", "tutorial/modules.html"),
        ("Input and Output", "tutorial/inputoutput.html"),
        ("Errors and Exceptions", "tutorial/errors.html"),
        ("Floating Point Arithmetic", "tutorial/floatingpoint.html"),
    ]),
    ("Classes and Object-Oriented Python", "python-basics", "intermediate", ["python", "oop"], [
        ("Classes", "tutorial/classes.html"),
        ("Descriptor HowTo Guide", "howto/descriptor.html"),
        ("Enum HOWTO", "howto/enum.html"),
        ("abc: Abstract Base Classes", "library/abc.html"),
        ("dataclasses: Data Classes", "library/dataclasses.html"),
    ]),
    ("A Tour of the Standard Library", "python-basics", "beginner", ["python", "stdlib"], [
        ("Brief Tour of the Standard Library", "tutorial/stdlib.html"),
        ("Brief Tour of the Standard Library, Part II", "tutorial/stdlib2.html"),
        ("Virtual Environments and Packages", "tutorial/venv.html"),
    ]),
    ("Regular Expressions in Python", "text", "intermediate", ["python", "regex", "text"], [
        ("Regular Expression HOWTO", "howto/regex.html"),
        ("re: Regular expression operations", "library/re.html"),
        ("difflib: Helpers for computing deltas", "library/difflib.html"),
    ]),
    ("Text Processing and Unicode", "text", "intermediate", ["python", "text", "unicode"], [
        ("string: Common string operations", "library/string.html"),
        ("textwrap: Text wrapping and filling", "library/textwrap.html"),
        ("Unicode HOWTO", "howto/unicode.html"),
        ("unicodedata: Unicode Database", "library/unicodedata.html"),
    ]),
    ("Collections and Data Types", "python-basics", "intermediate", ["python", "data-structures"], [
        ("collections: Container datatypes", "library/collections.html"),
        ("heapq: Heap queue algorithm", "library/heapq.html"),
        ("bisect: Array bisection algorithm", "library/bisect.html"),
        ("array: Efficient arrays of numeric values", "library/array.html"),
        ("datetime: Basic date and time types", "library/datetime.html"),
    ]),
    ("Functional Programming in Python", "algorithms", "intermediate", ["python", "functional"], [
        ("Functional Programming HOWTO", "howto/functional.html"),
        ("itertools: Functions creating iterators", "library/itertools.html"),
        ("functools: Higher-order functions", "library/functools.html"),
        ("operator: Standard operators as functions", "library/operator.html"),
        ("Sorting HOW TO", "howto/sorting.html"),
    ]),
    ("Numbers and Math in Python", "algorithms", "beginner", ["python", "math"], [
        ("math: Mathematical functions", "library/math.html"),
        ("decimal: Decimal fixed point arithmetic", "library/decimal.html"),
        ("fractions: Rational numbers", "library/fractions.html"),
        ("random: Generate pseudo-random numbers", "library/random.html"),
        ("statistics: Mathematical statistics functions", "library/statistics.html"),
    ]),
    ("Files, Paths and Persistence", "systems", "beginner", ["python", "files"], [
        ("pathlib: Object-oriented filesystem paths", "library/pathlib.html"),
        ("shutil: High-level file operations", "library/shutil.html"),
        ("glob: Unix style pathname pattern expansion", "library/glob.html"),
        ("pickle: Python object serialization", "library/pickle.html"),
        ("sqlite3: DB-API 2.0 interface for SQLite", "library/sqlite3.html"),
    ]),
    ("Concurrency: Threads, Processes and asyncio", "systems", "advanced", ["python", "concurrency"], [
        ("threading: Thread-based parallelism", "library/threading.html"),
        ("multiprocessing: Process-based parallelism", "library/multiprocessing.html"),
        ("concurrent.futures: Launching parallel tasks", "library/concurrent.futures.html"),
        ("subprocess: Subprocess management", "library/subprocess.html"),
        ("asyncio: Asynchronous I/O", "library/asyncio.html"),
    ]),
    ("Network Programming", "systems", "advanced", ["python", "networking"], [
        ("Socket Programming HOWTO", "howto/sockets.html"),
        ("socket: Low-level networking interface", "library/socket.html"),
        ("ssl: TLS/SSL wrapper for socket objects", "library/ssl.html"),
        ("HOWTO Fetch Internet Resources Using urllib", "howto/urllib2.html"),
        ("json: JSON encoder and decoder", "library/json.html"),
    ]),
    ("Command-Line Tools and Logging", "systems", "intermediate", ["python", "cli", "logging"], [
        ("Argparse Tutorial", "howto/argparse.html"),
        ("argparse: Parser for command-line options", "library/argparse.html"),
        ("Logging HOWTO", "howto/logging.html"),
        ("Logging Cookbook", "howto/logging-cookbook.html"),
    ]),
    ("Testing and Debugging Python", "tooling", "intermediate", ["python", "testing"], [
        ("unittest: Unit testing framework", "library/unittest.html"),
        ("doctest: Test interactive Python examples", "library/doctest.html"),
        ("pdb: The Python Debugger", "library/pdb.html"),
        ("The Python Profilers", "library/profile.html"),
        ("timeit: Measure execution time", "library/timeit.html"),
    ]),
    ("Typing and Modern Python", "tooling", "advanced", ["python", "typing"], [
        ("typing: Support for type hints", "library/typing.html"),
        ("Annotations Best Practices", "howto/annotations.html"),
        ("contextlib: Utilities for with-statement contexts", "library/contextlib.html"),
        ("inspect: Inspect live objects", "library/inspect.html"),
    ]),
]

MATHEMATICS: list[tuple[str, str, str, list[str], list[str]]] = [
    ("Calculus I: Limits and Derivatives", "calculus", "beginner", ["math", "calculus"],
     ["Limits", "Continuity", "The Derivative", "Chain Rule", "Applications of Derivatives"]),
    ("Calculus II: Integration and Series", "calculus", "intermediate", ["math", "calculus"],
     ["Riemann Sums", "Integration by Parts", "Improper Integrals", "Sequences", "Power Series"]),
    ("Multivariable Calculus", "calculus", "advanced", ["math", "calculus"],
     ["Partial Derivatives", "Gradients", "Multiple Integrals", "Vector Fields"]),
    ("Linear Algebra Foundations", "linear-algebra", "beginner", ["math", "linear-algebra"],
     ["Vectors", "Matrices", "Systems of Linear Equations", "Determinants", "Vector Spaces"]),
    ("Eigenvalues and Matrix Decompositions", "linear-algebra", "advanced", ["math", "linear-algebra"],
     ["Eigenvalues", "Diagonalization", "Singular Value Decomposition", "Least Squares"]),
    ("Probability Theory", "probability", "intermediate", ["math", "probability"],
     ["Counting", "Conditional Probability", "Random Variables", "Expectation", "Central Limit Theorem"]),
    ("Statistics for Data Science", "probability", "intermediate", ["math", "statistics"],
     ["Descriptive Statistics", "Estimation", "Hypothesis Testing", "Regression", "Bayesian Inference"]),
    ("Discrete Mathematics", "discrete", "beginner", ["math", "discrete"],
     ["Logic and Proofs", "Sets and Functions", "Induction", "Relations", "Recurrences"]),
    ("Graph Theory and Algorithms", "discrete", "advanced", ["math", "graphs", "algorithms"],
     ["Graphs and Trees", "Shortest Paths", "Spanning Trees", "Network Flow", "Matchings"]),
    ("Number Theory", "discrete", "intermediate", ["math", "number-theory"],
     ["Divisibility", "Primes", "Modular Arithmetic", "Chinese Remainder Theorem", "RSA"]),
    ("Combinatorics", "discrete", "intermediate", ["math", "combinatorics"],
     ["Permutations", "Binomial Coefficients", "Pigeonhole Principle", "Generating Functions"]),
    ("Optimization Methods", "linear-algebra", "advanced", ["math", "optimization"],
     ["Convex Sets", "Gradient Descent", "Linear Programming", "Lagrange Multipliers"]),
]

LEVEL_VARIANTS = ["", " (Workshop Edition)", " (Practice Track)", " (Bootcamp)", " (Exam Prep)"]
PRICES_MINOR = [0, 0, 49_900, 79_900, 99_900, 149_900, 199_900, 299_900]


@dataclass(frozen=True)
class Lesson:
    lesson_id: str
    title: str
    position: int
    duration_s: int
    doc_path: str = ""


@dataclass(frozen=True)
class Course:
    course_id: str
    instructor_id: str
    title: str
    category: str
    cluster: str
    level: str
    tags: list[str]
    price_minor: int
    lessons: list[Lesson] = field(default_factory=list)


def n_courses_for_scale(scale: int) -> int:
    base = len(PROGRAMMING) + len(MATHEMATICS)
    variants = 1 if scale <= 1 else 2 if scale <= 10 else 4
    return base * variants


def build_catalog(n_courses: int, rng) -> list[Course]:
    """Deterministic catalog of ``n_courses`` (cycling through variants)."""
    templates: list[tuple[str, str, str, str, list[str], list[tuple[str, str]]]] = []
    for title, cluster, level, tags, lessons in PROGRAMMING:
        templates.append((title, "programming", cluster, level, tags, lessons))
    for title, cluster, level, tags, names in MATHEMATICS:
        templates.append((title, "mathematics", cluster, level, tags, [(n, "") for n in names]))
    n_instructors = max(4, n_courses // 4)
    courses: list[Course] = []
    for i in range(n_courses):
        title, category, cluster, level, tags, lessons = templates[i % len(templates)]
        variant = LEVEL_VARIANTS[(i // len(templates)) % len(LEVEL_VARIANTS)]
        course_id = f"c{i + 1:04d}"
        price = PRICES_MINOR[rng.randrange(len(PRICES_MINOR))]
        course_lessons = [
            Lesson(
                lesson_id=f"{course_id}-l{j + 1:02d}",
                title=lesson_title,
                position=j,
                duration_s=rng.randrange(240, 1500, 30),
                doc_path=doc_path,
            )
            for j, (lesson_title, doc_path) in enumerate(lessons)
        ]
        courses.append(
            Course(
                course_id=course_id,
                instructor_id=f"i{(i % n_instructors) + 1:03d}",
                title=title + variant,
                category=category,
                cluster=cluster,
                level=level,
                tags=list(tags),
                price_minor=price,
                lessons=course_lessons,
            )
        )
    return courses
