/** The part of mailparser's API the email tests use (the package ships no types). */
declare module 'mailparser' {
  export interface AddressObject {
    value: { address?: string; name: string }[];
    text: string;
  }
  export interface ParsedMail {
    subject?: string;
    from?: AddressObject;
    to?: AddressObject | AddressObject[];
    text?: string;
    html?: string | false;
    messageId?: string;
    headers: Map<string, unknown>;
  }
  export function simpleParser(source: Buffer | string | NodeJS.ReadableStream): Promise<ParsedMail>;
}
