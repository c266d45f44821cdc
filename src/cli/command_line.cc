#include "cli/command_line.h"

#include <algorithm>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include "base/environment.h"
#include "base/log.h"
#include "base/version.h"
#include "cli/cmd_bases.h"
#include "cli/cmd_conflicts.h"
#include "cli/cmd_db.h"
#include "cli/cmd_doctor.h"
#include "cli/cmd_formula.h"
#include "cli/cmd_migrate.h"
#include "cli/cmd_route.h"
#include "cli/cmd_schema_dump.h"
#include "cli/cmd_serve.h"
#include "cli/cmd_sync.h"
#include "cli/cmd_token.h"
#include "cli/command_spec.h"
#include "cli/completion.h"
#include "cli/config.h"
#include "cli/error_line.h"
#include "cli/exit_code.h"
#include "cli/job_progress.h"
#include "cli/man_page.h"

namespace airpg::cli {
namespace {

std::string ConfigHelp() {
  std::string out =
      "Configuration: airpg.yaml (--config, AIRPG_CONFIG, or ./airpg.yaml); each key can be set "
      "by its environment variable:\n";
  for (const ConfigKey& key : ConfigKeys()) {
    out += fmt::format("  {:<24} {:<30} {}\n", key.path, key.env, key.help);
  }
  out +=
      "Secrets come from the environment only: DATABASE_URL (libpq URI; unset = embedded "
      "Postgres), AIRTABLE_TOKEN.\nExit codes: 0 ok, 1 failed, 2 usage/config, 3 unavailable, "
      "4 auth (docs/errors.md).";
  return out;
}

// Adds --output text|json to a subcommand; sets *json.
void AddOutputOption(CLI::App* app, bool* json) {
  app->add_option_function<std::string>(
         "--output", [json](const std::string& v) { *json = v == "json"; },
         "report format: text or json")
      ->check(CLI::IsMember({"text", "json"}));
}

// The values an option accepts when they are a fixed set: CLI11 shows an
// IsMember check in the type name as "TEXT:{text,json}".
std::vector<std::string> Choices(const std::string& type_name) {
  std::vector<std::string> choices;
  size_t open = type_name.find('{');
  size_t close = type_name.rfind('}');
  if (open == std::string::npos || close == std::string::npos || close < open) return choices;
  std::string_view list(type_name.data() + open + 1, close - open - 1);
  while (!list.empty()) {
    size_t comma = list.find(',');
    choices.emplace_back(list.substr(0, comma));
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return choices;
}

// The command tree as declared, for command lists and completion scripts.
CommandSpec SpecOf(const CLI::App& app) {
  CommandSpec spec{app.get_name(), app.get_description(), {}, {}, {}};
  for (const CLI::Option* opt : app.get_options()) {
    if (!opt->nonpositional()) {
      for (std::string& choice : Choices(opt->get_type_name())) {
        spec.arguments.push_back(std::move(choice));
      }
      continue;
    }
    OptionSpec option;
    for (const std::string& name : opt->get_snames()) option.names.push_back("-" + name);
    for (const std::string& name : opt->get_lnames()) option.names.push_back("--" + name);
    option.help = opt->get_description();
    option.takes_value = opt->get_items_expected_max() > 0;
    if (option.takes_value) option.choices = Choices(opt->get_type_name());
    spec.options.push_back(std::move(option));
  }
  // Option groups are nameless subcommands in CLI11; airpg has none, but skip them.
  for (const CLI::App* sub :
       app.get_subcommands([](const CLI::App* a) { return !a->get_name().empty(); })) {
    spec.subcommands.push_back(SpecOf(*sub));
  }
  return spec;
}

// Lets every command take airpg's own options after its name too
// (`airpg schema dump --config F`): an option a command lacks goes up to its parent.
void FallThroughEverywhere(CLI::App& app) {
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    sub->fallthrough();
    FallThroughEverywhere(*sub);
  }
}

// "airpg db status" for the db status subcommand.
std::string CommandPath(const CLI::App& app) {
  std::string path = app.get_name();
  for (const CLI::App* p = app.get_parent(); p != nullptr; p = p->get_parent()) {
    path = p->get_name() + " " + path;
  }
  return path;
}

// The last command on the command line CLI11 recognised (airpg itself if none).
CLI::App* DeepestParsed(CLI::App& app) {
  CLI::App* where = &app;
  for (;;) {
    std::vector<CLI::App*> parsed = where->get_subcommands();
    if (parsed.empty()) return where;
    where = parsed.back();
  }
}

// Whether errors must be JSON lines before the config is read: --log-format
// on the command line, else log.format from the environment or config file.
bool JsonErrorsBeforeParse(int argc, char** argv, const Environment& env,
                           const std::optional<std::string>& config_path) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--log-format" && i + 1 < argc) return std::string_view(argv[i + 1]) == "json";
    if (arg.rfind("--log-format=", 0) == 0) return arg.substr(13) == "json";
  }
  Result<Config> config = LoadConfig(env, config_path);
  return config.ok() && config->log_format == "json";
}

// An id argument (a dead letter, a conflict): a whole number, told in words
// rather than as CLI11's "Could not convert".
CLI::Validator IdNumber(const std::string& what) {
  return CLI::Validator(
      [what](std::string& text) -> std::string {
        bool digits = !text.empty() && text.size() <= 18 &&
                      std::all_of(text.begin(), text.end(),
                                  [](unsigned char c) { return c >= '0' && c <= '9'; });
        if (digits) return "";
        return fmt::format("'{}' is not a {} id: ids are whole numbers, as `list` shows them", text,
                           what);
      },
      "ID");
}

// Bad usage: what the command that went wrong offers, then one error line
// that says what was wrong (last, so it is what a script or log keeps).
int UsageError(CLI::App& app, const CLI::ParseError& error) {
  CLI::App* where = DeepestParsed(app);
  std::vector<std::string> unknown = app.remaining(true);
  CommandSpec spec = SpecOf(*where);
  std::string path = CommandPath(*where);
  std::string message = error.what();
  if (!unknown.empty() && unknown.front().rfind("-", 0) == 0) {
    message = fmt::format("unknown option '{}' for `{}`", unknown.front(), path);
  } else if (!unknown.empty() && !spec.subcommands.empty()) {
    message = fmt::format("unknown command '{}'", unknown.front());
    if (where != &app) message += fmt::format(" for `{}`", path);
  } else if (where->get_subcommands().empty() && where->get_require_subcommand_min() > 0 &&
             unknown.empty() && error.get_name() == "RequiredError") {
    message = fmt::format("`{}` needs a command", path);
  }
  if (!spec.subcommands.empty()) {
    std::cerr << fmt::format("Usage: {} COMMAND [OPTIONS]\n\nCommands:\n{}\n", path,
                             CommandList(spec));
    std::cerr << fmt::format("`{} COMMAND --help` shows a command's options.\n", path);
  } else {
    std::cerr << fmt::format("`{} --help` shows its options.\n", path);
  }
  PrintErrorLine(message);
  return kExitUsage;
}

// `airpg help [COMMAND…]`: the help of airpg or of the command named.
int Help(CLI::App& app, const std::vector<std::string>& topic) {
  CLI::App* target = &app;
  for (const std::string& name : topic) {
    CLI::App* next = nullptr;
    for (CLI::App* sub : target->get_subcommands([](CLI::App*) { return true; })) {
      if (sub->check_name(name)) next = sub;
    }
    if (next == nullptr) {
      std::cerr << fmt::format("Commands of `{}`:\n{}\n", CommandPath(*target),
                               CommandList(SpecOf(*target)));
      PrintErrorLine(fmt::format("unknown command '{}'", name));
      return kExitUsage;
    }
    target = next;
  }
  // Not target->help(): CLI11 hands that to the command parsed, `help` itself.
  std::cout << target->get_formatter()->make_help(target, CommandPath(*target),
                                                  CLI::AppFormatMode::Normal);
  return kExitOk;
}

}  // namespace

int Run(int argc, char** argv) {
  CLI::App app{"airpg: move an Airtable base to PostgreSQL and keep the two in step.", "airpg"};
  app.footer(ConfigHelp());
  app.require_subcommand(1);
  app.set_version_flag("--version", fmt::format("airpg {}", kVersion));

  std::optional<std::string> config_path;
  std::optional<std::string> log_level;
  std::optional<std::string> log_format;
  app.add_option("--config", config_path, "config file (default: AIRPG_CONFIG or ./airpg.yaml)");
  app.add_option("--log-level", log_level, "debug | info | warn | error | off")
      ->check(CLI::IsMember({"debug", "info", "warn", "error", "off"}));
  app.add_option("--log-format", log_format,
                 "auto (human lines) | text | json (one object per line)")
      ->check(CLI::IsMember({"auto", "text", "json"}));
  bool quiet = false;
  app.add_flag("--quiet,-q", quiet, "no progress lines on stderr (migrate, verify, sync)");

  // db
  DbOptions db;
  CLI::App* db_cmd = app.add_subcommand("db", "manage the embedded Postgres cluster");
  db_cmd->require_subcommand(1);
  db_cmd->add_subcommand("start", "initialise (first time) and start it; idempotent")
      ->callback([&] { db.action = "start"; });
  db_cmd->add_subcommand("stop", "stop it (fast shutdown)")->callback([&] { db.action = "stop"; });
  CLI::App* db_status = db_cmd->add_subcommand(
      "status", "show whether Postgres is reachable (exit 3 when it is not)");
  db_status->callback([&] { db.action = "status"; });
  AddOutputOption(db_status, &db.json);
  CLI::App* db_url = db_cmd->add_subcommand("url", "print the connection URL (no password)");
  db_url->add_flag("--tcp", db.tcp, "the loopback TCP URL (needs embedded.tcp_port)");
  db_url->callback([&] { db.action = "url"; });
  CLI::App* db_psql = db_cmd->add_subcommand("psql", "open psql on the database");
  db_psql->add_option("args", db.psql_args, "arguments passed to psql (after --)");
  db_psql->callback([&] { db.action = "psql"; });

  // formula
  FormulaOptions formula;
  CLI::App* formula_cmd = app.add_subcommand(
      "formula", "check, evaluate or compile to SQL an Airtable formula (filterByFormula)");
  formula_cmd->require_subcommand(1);
  auto formula_action = [&](const char* name, const char* help) {
    CLI::App* cmd = formula_cmd->add_subcommand(name, help);
    cmd->add_option("formula", formula.formula,
                    "the formula, e.g. 'AND({Status}=\"Open\", {Amount}>10)'")
        ->required();
    cmd->add_option(
        "--schema-file", formula.schema_file,
        "Meta API schema JSON ({\"tables\":[…]}, as GET /v0/meta/bases/{base}/tables returns)");
    cmd->add_option("--base", formula.base,
                    "read the schema from this Airtable base (app…) instead of a file");
    cmd->add_option("--table", formula.table,
                    "table id or name (needed when the schema has several)");
    AddOutputOption(cmd, &formula.json);
    cmd->callback([&formula, name] { formula.action = name; });
    return cmd;
  };
  formula_action("check", "parse and type-check; print the result type");
  CLI::App* formula_eval = formula_action("eval", "evaluate on one record");
  formula_eval->add_option("--record", formula.record_json,
                           "the record's cells as JSON: {\"Field name or id\": value, …}");
  formula_eval->add_option("--now", formula.now, "ISO time for NOW() and TODAY() (default: now)");
  CLI::App* formula_sql =
      formula_action("sql", "print the PostgreSQL expression and its parameters");
  formula_sql->add_flag("--filter", formula.filter,
                        "compile as a WHERE condition (filterByFormula)");
  formula_sql->add_option("--now", formula.now, "ISO time bound for NOW() and TODAY()");

  // doctor
  DoctorOptions doctor;
  CLI::App* doctor_cmd = app.add_subcommand(
      "doctor",
      "check config, data directory, Postgres and Airtable (token, base, scopes); say what to fix");
  AddOutputOption(doctor_cmd, &doctor.json);
  doctor_cmd->add_option("--base", doctor.base, "the base to check (default: airtable.base_id)");
  doctor_cmd->add_flag("--offline", doctor.offline,
                       "do not ask Airtable (endpoint, token, base and scopes unchecked)");

  // schema plan, migrate, verify, rollback, runs
  MigrateCliOptions mig;
  // Each accepts --config after its name too (it falls through to the top level).
  auto add_base = [&](CLI::App* cmd) {
    cmd->fallthrough();
    cmd->add_option("--base", mig.base, "Airtable base id (default: airtable.base_id)");
    AddOutputOption(cmd, &mig.json);
  };
  auto add_tables = [&](CLI::App* cmd) {
    cmd->add_option("--tables", mig.tables, "only these tables (ids or names, comma-separated)")
        ->delimiter(',');
    cmd->add_option("--schema", mig.schema,
                    "live Postgres schema (default: the catalog's, else the base name)");
  };
  CLI::App* schema_cmd = app.add_subcommand("schema", "the Postgres schema a base maps to");
  schema_cmd->require_subcommand(1);
  CLI::App* schema_plan = schema_cmd->add_subcommand(
      "plan", "print the DDL a migration would create (warnings on stderr)");
  add_base(schema_plan);
  add_tables(schema_plan);
  schema_plan->add_option("--schema-file", mig.schema_file,
                          "Meta API schema JSON instead of asking Airtable (no token needed)");
  SchemaDumpOptions dump;
  CLI::App* schema_dump = schema_cmd->add_subcommand(
      "dump", "print the base's Meta API schema JSON (what --schema-file reads)");
  schema_dump->add_option("--base", dump.base, "Airtable base id (default: airtable.base_id)");
  CLI::App* migrate_cmd = app.add_subcommand(
      "migrate", "copy a base into Postgres, verify it and swap it in (exit 1 if the job fails)");
  add_base(migrate_cmd);
  add_tables(migrate_cmd);
  migrate_cmd->add_flag("--dry-run", mig.dry_run, "plan and read everything, write nothing");
  migrate_cmd->add_option("--attachments-dir", mig.attachments_dir,
                          "store attachment files here (default: in Postgres)");
  CLI::App* verify_cmd = app.add_subcommand(
      "verify", "compare the live schema with Airtable now (exit 1 when they differ)");
  add_base(verify_cmd);
  verify_cmd
      ->add_option("--tables", mig.tables, "only these tables (ids or names, comma-separated)")
      ->delimiter(',');
  CLI::App* rollback_cmd = app.add_subcommand(
      "rollback", "put back the schema the last migration replaced (or that of --to RUN)");
  add_base(rollback_cmd);
  rollback_cmd->add_option("--to", mig.rollback_to,
                           "the run whose schema to put back (one `airpg runs` lists with a "
                           "backup; default: one step back)");
  CLI::App* runs_cmd = app.add_subcommand("runs", "migration history with counts and outcome");
  add_base(runs_cmd);
  CLI::App* runs_abandon = runs_cmd->add_subcommand(
      "abandon", "drop the staging schema of an interrupted or failed run and mark it abandoned");
  runs_abandon->add_option("RUN", mig.abandon_run, "the run id (`airpg runs` lists them)")
      ->required();
  AddOutputOption(runs_abandon, &mig.json);

  SyncCliOptions syn;
  auto add_sync_base = [&](CLI::App* cmd) {
    cmd->add_option("--base", syn.base, "Airtable base id (app…); default: airtable.base_id");
    AddOutputOption(cmd, &syn.json);
  };
  CLI::App* sync_cmd = app.add_subcommand(
      "sync", "keep Postgres current from Airtable until stopped (Ctrl-C/SIGTERM: clean stop)");
  add_sync_base(sync_cmd);
  sync_cmd->add_option("--listen", syn.listen_host, "address of the webhook/metrics endpoints");
  sync_cmd->add_option("--port", syn.listen_port,
                       "port of the endpoints (default: sync.port, 8719; 0: any free port)");
  sync_cmd->add_option("--public-url", syn.public_url,
                       "URL where Airtable reaches the endpoints (none: payloads are polled)");
  sync_cmd->add_flag("--loopback-pings", syn.loopback_pings,
                     "Airtable runs on this machine (the emulator): ping the loopback address");
  sync_cmd->add_option("--poll-seconds", syn.poll_seconds,
                       "safety-poll interval for every table (default: by lane, 10/60/300 s)");
  sync_cmd->add_option("--attachments-dir", syn.attachments_dir,
                       "store attachment files here (default: in Postgres)");
  CLI::App* release_cmd = sync_cmd->add_subcommand(
      "release-deletes", "apply the delete sweep held back for deleting too much of TABLE");
  add_sync_base(release_cmd);
  release_cmd
      ->add_option("table", syn.release_table, "the table (Postgres or Airtable name, or id)")
      ->required();
  release_cmd->add_option(
      "--attachments-dir", syn.attachments_dir,
      "store attachment files here, as `airpg sync` does (default: in Postgres)");
  ServeCliOptions srv;
  CLI::App* serve_cmd = app.add_subcommand(
      "serve", "sync, plus the Airtable API served from Postgres on the same port");
  serve_cmd->add_option("--base", srv.bases, "Airtable base id (app…), repeatable");
  serve_cmd->add_option("--listen", srv.listen_host, "address of the API and endpoints");
  serve_cmd->add_option("--port", srv.listen_port,
                        "port (default: sync.port, 8719; 0: any free port)");
  serve_cmd->add_option("--public-url", srv.public_url,
                        "URL where Airtable reaches the endpoints (none: payloads are polled)");
  serve_cmd->add_flag("--loopback-pings", srv.loopback_pings,
                      "Airtable runs on this machine (the emulator): ping the loopback address");
  serve_cmd->add_option("--threads", srv.threads, "API worker threads");
  serve_cmd->add_option("--pool", srv.pool_size, "Postgres connections for the API");
  serve_cmd->add_option("--attachments-dir", srv.attachments_dir,
                        "store attachment files here, as `airpg sync` does (default: in Postgres)");
  serve_cmd
      ->add_flag("--inject-faults", srv.inject_faults,
                 "tests only: POST /__airpg/faults makes the next API requests fail")
      ->envname("AIRPG_SERVE_INJECT_FAULTS");
  RouteCliOptions rte;
  CLI::App* route_cmd = app.add_subcommand("route", "where `airpg serve` answers each table from");
  route_cmd->require_subcommand(1);
  CLI::App* route_list = route_cmd->add_subcommand("list", "every table and its route");
  route_list->add_option("--base", rte.base, "Airtable base id (app…); default: airtable.base_id");
  AddOutputOption(route_list, &rte.json);
  CLI::App* route_set =
      route_cmd->add_subcommand("set", "route a table to airtable, shadow or postgres");
  route_set->add_option("TABLE", rte.table, "table name or tbl… id")->required();
  route_set->add_option("MODE", rte.mode, "airtable | shadow | postgres")
      ->required()
      ->check(CLI::IsMember({"airtable", "shadow", "postgres"}));
  route_set->add_option("--base", rte.base, "Airtable base id (app…); default: airtable.base_id");
  route_set->add_flag("--force", rte.force,
                      "route to postgres although computed fields are not computed in Postgres");
  CLI::App* shadow_cmd = app.add_subcommand("shadow", "what shadow reads found");
  shadow_cmd->require_subcommand(1);
  CLI::App* shadow_report = shadow_cmd->add_subcommand("report", "differences per table and field");
  shadow_report->add_option("--base", rte.base,
                            "Airtable base id (app…); default: airtable.base_id");
  AddOutputOption(shadow_report, &rte.json);
  TokenCliOptions tok;
  CLI::App* token_cmd = app.add_subcommand("token", "API tokens of `airpg serve`");
  token_cmd->require_subcommand(1);
  CLI::App* token_create =
      token_cmd->add_subcommand("create", "make a token and print it (shown once)");
  token_create->add_option("NAME", tok.name, "the token's name")->required();
  token_create->add_option("--bases", tok.bases, "bases it may use (app…; default: all served)");
  token_create->add_option("--scopes", tok.scopes,
                           "comma-separated: data.records:read, data.records:write, "
                           "schema.bases:read (default: the two read scopes)");
  CLI::App* token_list = token_cmd->add_subcommand("list", "every token (never the secret)");
  AddOutputOption(token_list, &tok.json);
  CLI::App* token_revoke = token_cmd->add_subcommand("revoke", "revoke a token by name");
  token_revoke->add_option("NAME", tok.name, "the token's name")->required();
  CLI::App* status_cmd =
      app.add_subcommand("status", "per-table sync state and ping → commit lag percentiles");
  add_sync_base(status_cmd);
  CLI::App* dlq_cmd = app.add_subcommand("dlq", "the dead-letter queue of changes not applied");
  dlq_cmd->require_subcommand(1);
  for (const char* action : {"list", "show", "replay", "drop"}) {
    static const std::map<std::string, std::string> help = {
        {"list", "open letters (newest first)"},
        {"show", "letters in full"},
        {"replay", "read the records again and apply them (exit 1 if any stays open)"},
        {"drop", "close letters without applying them"}};
    CLI::App* cmd = dlq_cmd->add_subcommand(action, help.at(action));
    add_sync_base(cmd);
    if (std::string(action) == "list") {
      cmd->add_option("--status", syn.status, "retrying, dead, replayed, superseded, dropped");
    } else {
      cmd->add_option("ids", syn.ids, "dead letter ids")
          ->required()
          ->check(IdNumber("dead letter"));
    }
    if (std::string(action) == "list" || std::string(action) == "replay") {
      cmd->add_flag("--outbox", syn.outbox,
                    "Postgres changes Airtable refused (two-way sync): list them, or make them "
                    "pending again for the running sync to send");
    }
    if (std::string(action) == "replay") {
      cmd->add_option("--attachments-dir", syn.attachments_dir,
                      "store attachment files here, as `airpg sync` does (default: in Postgres)");
    }
    cmd->callback([&syn, action] { syn.dlq_action = action; });
  }

  // conflicts: the fields both sides changed (issue 16).
  ConflictsOptions conflicts;
  CLI::App* conflicts_cmd =
      app.add_subcommand("conflicts", "fields changed on both sides, and their resolution");
  conflicts_cmd->require_subcommand(1);
  CLI::App* conflicts_list =
      conflicts_cmd->add_subcommand("list", "conflicts, newest first (open and resolved)");
  conflicts_list->add_option("--status", conflicts.status, "open or resolved");
  AddOutputOption(conflicts_list, &conflicts.json);
  conflicts_list->callback([&] { conflicts.action = "list"; });
  CLI::App* conflicts_show = conflicts_cmd->add_subcommand("show", "one conflict in full (JSON)");
  conflicts_show->add_option("id", conflicts.id, "conflict id")
      ->required()
      ->check(IdNumber("conflict"));
  conflicts_show->callback([&] { conflicts.action = "show"; });
  CLI::App* conflicts_resolve = conflicts_cmd->add_subcommand(
      "resolve", "keep one side's value, or a value of your own; the sync applies it");
  conflicts_resolve->add_option("id", conflicts.id, "conflict id")
      ->required()
      ->check(IdNumber("conflict"));
  conflicts_resolve->add_option("--take", conflicts.take, "airtable or postgres");
  conflicts_resolve->add_option("--value", conflicts.value, "the JSON value to keep instead")
      ->each([&](const std::string&) { conflicts.value_given = true; });
  AddOutputOption(conflicts_resolve, &conflicts.json);
  conflicts_resolve->callback([&] { conflicts.action = "resolve"; });

  // Finding your way: bases, help, completion.
  BasesOptions bases;
  CLI::App* bases_cmd = app.add_subcommand(
      "bases", "list the Airtable bases the token can see (the app… ids --base takes)");
  AddOutputOption(bases_cmd, &bases.json);
  std::vector<std::string> help_topic;
  CLI::App* help_cmd =
      app.add_subcommand("help", "list the commands, or show one's options: airpg help db start");
  help_cmd->add_option("command", help_topic, "a command and its subcommands");
  std::string shell;
  CLI::App* completion_cmd = app.add_subcommand(
      "completion", "print a completion script: source <(airpg completion bash)");
  completion_cmd->add_option("shell", shell, "bash or zsh")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh"}));

  CLI::App* man_cmd = app.add_subcommand(
      "man", "print the man page (roff), generated from these commands: airpg man | man -l -");

  FallThroughEverywhere(app);

  ProcessEnvironment env;
  try {
    app.parse(argc, argv);
    SetQuietProgress(quiet);
  } catch (const CLI::ParseError& e) {
    // --help and --version end the parse with exit code 0.
    if (e.get_exit_code() == 0) return app.exit(e);
    SetJsonErrorLines(JsonErrorsBeforeParse(argc, argv, env, config_path));
    return UsageError(app, e);
  }

  Result<Config> config = LoadConfig(env, config_path);
  if (config.ok()) {
    if (log_level) config->log_level = *log_level;
    if (log_format) config->log_format = *log_format;
    SetJsonErrorLines(config->log_format == "json");
    log::Options options;
    log::ParseLevel(config->log_level, &options.level).IgnoreError();
    log::ParseFormat(config->log_format, &options.format).IgnoreError();
    log::Init(options);
  } else {
    SetJsonErrorLines(log_format ? *log_format == "json"
                                 : env.Get("AIRPG_LOG_FORMAT").value_or("") == "json");
  }

  // Help, completion and the formula tools need no config, database or token.
  if (help_cmd->parsed()) return Help(app, help_topic);
  if (completion_cmd->parsed()) {
    CommandSpec spec = SpecOf(app);
    std::cout << (shell == "zsh" ? ZshCompletion(spec) : BashCompletion(spec));
    return kExitOk;
  }
  if (man_cmd->parsed()) {
    std::cout << ManPage(SpecOf(app));
    return kExitOk;
  }
  if (doctor_cmd->parsed()) return RunDoctor(config, doctor);
  if (formula_cmd->parsed()) return RunFormula(config, formula);
  if (!config.ok()) {
    PrintErrorLine(config.status().message());
    return kExitUsage;
  }
  if (bases_cmd->parsed()) return RunBases(*config, bases);
  if (schema_dump->parsed()) return RunSchemaDump(*config, dump);
  if (db_cmd->parsed()) return RunDb(*config, db);
  if (schema_plan->parsed()) return RunSchemaPlan(*config, mig);
  if (migrate_cmd->parsed()) return RunMigrate(*config, mig);
  if (verify_cmd->parsed()) return RunVerify(*config, mig);
  if (rollback_cmd->parsed()) return RunRollback(*config, mig);
  if (runs_abandon->parsed()) return RunRunsAbandon(*config, mig);
  if (runs_cmd->parsed()) return RunRuns(*config, mig);
  if (release_cmd->parsed()) return RunReleaseDeletes(*config, syn);
  if (sync_cmd->parsed()) return RunSync(*config, syn);
  if (serve_cmd->parsed()) return RunServe(*config, srv);
  if (route_list->parsed()) return RunRouteList(*config, rte);
  if (route_set->parsed()) return RunRouteSet(*config, rte);
  if (shadow_report->parsed()) return RunShadowReport(*config, rte);
  if (token_create->parsed()) return RunTokenCreate(*config, tok);
  if (token_list->parsed()) return RunTokenList(*config, tok);
  if (token_revoke->parsed()) return RunTokenRevoke(*config, tok);
  if (status_cmd->parsed()) return RunStatus(*config, syn);
  if (dlq_cmd->parsed()) return RunDlq(*config, syn);
  if (conflicts_cmd->parsed()) return RunConflicts(*config, conflicts);
  return kExitUsage;
}

}  // namespace airpg::cli
