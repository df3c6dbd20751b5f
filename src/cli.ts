// One entry point, several commands (one image serves them all):
//   serve    run the REST catalog (default)
//   migrate  apply pending database migrations and exit
//   gc       one garbage-collection run, then exit (for a Kubernetes CronJob when the
//            replicas' own schedule is off): gc [--orphans off|dry-run|delete] [--dry-run]
import { ConfigError, loadConfig, type Config } from './config.js';
import { createDependencies, createObjectStore, openCatalogDatabase } from './dependencies.js';
import { migrate, pendingMigrations, readMigrations } from './db/migrator.js';
import type { OrphanMode } from './db/gc-run-repository.js';
import { serve } from './main.js';
import { databaseStartupError } from './startup-checks.js';

function parseGcArguments(args: string[]): { orphans: OrphanMode; dryRun: boolean } {
  let orphans: OrphanMode = 'off';
  let dryRun = false;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--dry-run') dryRun = true;
    else if (args[i] === '--orphans' && ['off', 'dry-run', 'delete'].includes(args[i + 1] ?? '')) orphans = args[++i] as OrphanMode;
    else throw new ConfigError(`gc: unexpected argument "${args[i]}" (expected --orphans off|dry-run|delete, --dry-run)`);
  }
  return { orphans, dryRun };
}

/** Exit code 0 when the run succeeded or another replica's run is under way (it does the work). */
async function collectOnce(config: Config, args: string[]): Promise<number> {
  const options = parseGcArguments(args);
  const database = await openCatalogDatabase(config);
  try {
    const pending = await pendingMigrations(database.db, await readMigrations());
    if (pending.length > 0) throw new ConfigError(`the database has pending migrations (${pending.map((m) => m.name).join(', ')}); run migrate first`);
    const deps = await createDependencies(config, database, createObjectStore(config), { started: true, shuttingDown: false });
    // A Job pod gets SIGTERM on deletion, a node drain or its deadline: the run stops after
    // its current step (the next run resumes it) instead of being killed mid-step.
    const stop = () => void deps.collector.stop();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    const started = await deps.collector.start({ trigger: 'schedule', ...options });
    if (!started) {
      console.log(JSON.stringify({ msg: 'another collection run is under way; nothing to do' }));
      return 0;
    }
    const run = await started.finished;
    const line = (level: string) => (object: object, msg: string) => console.log(JSON.stringify({ level, ...object, msg }));
    deps.audit.useLogger({ info: line('info'), warn: line('warn') });
    deps.audit.recordRun(run, null, null);
    await deps.audit.close();
    console.log(JSON.stringify({ msg: 'collection run finished', run: run.id, status: run.status, counts: run.counts, errors: run.errors.slice(0, 20) }));
    return run.status === 'succeeded' ? 0 : 1;
  } finally {
    await database.close();
  }
}

async function run(command: string, args: string[]): Promise<void> {
  const config = loadConfig();
  switch (command) {
    case 'serve':
      return serve(config);
    case 'migrate': {
      const database = await openCatalogDatabase(config);
      try {
        const applied = await migrate(database.db);
        console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database schema is up to date');
      } catch (error) {
        throw databaseStartupError(error, config.databaseUrl) ?? error;
      } finally {
        await database.close();
      }
      return;
    }
    case 'gc':
      process.exitCode = await collectOnce(config, args).catch((error: unknown) => {
        throw databaseStartupError(error, config.databaseUrl) ?? error;
      });
      return;
    default:
      throw new ConfigError(`unknown command "${command}" (expected serve, migrate or gc)`);
  }
}

run(process.argv[2] ?? 'serve', process.argv.slice(3)).catch((error: unknown) => {
  if (error instanceof ConfigError) console.error(`configuration error: ${error.message}`);
  else console.error(error);
  process.exit(1);
});
