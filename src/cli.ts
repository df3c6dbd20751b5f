// One entry point, several commands (one image serves them all):
//   serve    run the REST catalog (default)
//   migrate  apply pending database migrations and exit
import { ConfigError, loadConfig } from './config.js';
import { openCatalogDatabase } from './dependencies.js';
import { migrate } from './db/migrator.js';
import { serve } from './main.js';

async function run(command: string): Promise<void> {
  const config = loadConfig();
  switch (command) {
    case 'serve':
      return serve(config);
    case 'migrate': {
      const database = await openCatalogDatabase(config);
      try {
        const applied = await migrate(database.db);
        console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database schema is up to date');
      } finally {
        await database.close();
      }
      return;
    }
    default:
      throw new ConfigError(`unknown command "${command}" (expected serve or migrate)`);
  }
}

run(process.argv[2] ?? 'serve').catch((error: unknown) => {
  if (error instanceof ConfigError) console.error(`configuration error: ${error.message}`);
  else console.error(error);
  process.exit(1);
});
