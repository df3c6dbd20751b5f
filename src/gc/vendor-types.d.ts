// snappyjs ships no type declarations; this is the one function we use.
declare module 'snappyjs' {
  const snappy: { uncompress(input: Uint8Array): Uint8Array };
  export default snappy;
}
