// axios ships no types beside its browser build: it is the same axios, typed by "axios".
declare module "axios/dist/browser/axios.cjs" {
  import type { AxiosStatic } from "axios";
  const axios: AxiosStatic;
  export default axios;
}
