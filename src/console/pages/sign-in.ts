/**
 * @module The sign-in page: one field for the token. The field is a password-style input
 * that the browser neither autocompletes nor shows back; a refused token is not echoed.
 */
import { html } from 'hono/html';
import { type Lang, t } from '../i18n.ts';
import { type Fragment, notice } from '../layout.ts';

export function signInPage(lang: Lang, refused: boolean): Fragment {
  return html`<section class="sign-in">
${refused ? notice(t(lang, 'tokenRefused'), 'error') : ''}
<form method="post" action="/console/sign-in">
<p><label for="token">${t(lang, 'tokenLabel')}</label></p>
<p><input id="token" name="token" type="password" autocomplete="off" spellcheck="false" required maxlength="220" class="token-input"></p>
<p class="empty">${t(lang, 'tokenHint')}</p>
<p><button type="submit">${t(lang, 'signIn')}</button></p>
</form></section>`;
}
