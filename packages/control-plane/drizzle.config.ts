// drizzle-kit configuration: generates SQL migrations from src/db/schema into drizzle/. Run
// `npm run db:generate -w @rexec/control-plane` after a schema change and commit the output.
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema/index.ts',
  out: './drizzle',
  casing: 'snake_case',
});
