// i18n.svelte.ts - every string the app shows comes from messages/*.json; the
// chosen language is kept in localStorage and set on <html lang>.
import en from '../../messages/en.json';
import es from '../../messages/es.json';
import { interpolate } from './format';

export const messages = { en, es } as const;
export type Locale = keyof typeof messages;
export type MessageKey = keyof typeof en;
export const LOCALES: { code: Locale; name: string }[] = [
  { code: 'en', name: 'English' },
  { code: 'es', name: 'Español' }
];
const STORAGE_KEY = 'zkml-registry.lang';

export const i18n = $state({ locale: 'en' as Locale });

function isLocale(s: unknown): s is Locale {
  return typeof s === 'string' && s in messages;
}

/** The stored choice, else the browser's language, else English. */
export function initLocale(): void {
  let stored: string | null = null;
  try {
    stored = localStorage.getItem(STORAGE_KEY);
  } catch {
    /* storage blocked: the choice lasts for this page only */
  }
  const nav = navigator.language?.slice(0, 2);
  setLocale(isLocale(stored) ? stored : isLocale(nav) ? nav : 'en', false);
}

export function setLocale(l: Locale, persist = true): void {
  i18n.locale = l;
  document.documentElement.lang = l;
  if (!persist) return;
  try {
    localStorage.setItem(STORAGE_KEY, l);
  } catch {
    /* see initLocale */
  }
}

export function t(key: MessageKey | string, params?: Record<string, string | number>): string {
  const table = messages[i18n.locale] as Record<string, string>;
  const msg = table[key] ?? (en as Record<string, string>)[key] ?? key;
  return interpolate(msg, params);
}
