/**
 * @module What a console page is given: the signed-in user's API client, the database for
 * the few domain read functions a page uses, the language and the URL asked for.
 */
import type { DB } from '../../db/database.ts';
import type { ConsoleApi } from '../api-client.ts';
import type { Me } from '../api-types.ts';
import type { Lang } from '../i18n.ts';
import type { Fragment } from '../layout.ts';

export interface PageInput {
  readonly api: ConsoleApi;
  readonly db: DB;
  readonly me: Me;
  readonly lang: Lang;
  readonly url: URL;
  /** A message from the change just made (post, redirect, get). */
  readonly notice?: Fragment;
}
